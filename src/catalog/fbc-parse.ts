/**
 * Turns FBC documents into the catalog model: each known schema is checked
 * field by field (errors `FILE:LINE: olm.bundle "name": …`), unknown schemas
 * are kept opaque, and the whole is validated (validate.ts).
 */
import { at, CatalogError, type SourceLocation } from './errors.js';
import type { BundleProperty, Catalog, CatalogBundle, CatalogChannel, CatalogDeprecation, CatalogPackage, ChannelEntry, Gvk, OpaqueDoc, PackageRequirement, RawDoc, RelatedImage } from './model.js';
import { isSemver, parseSemverRange, SemverError } from './semver.js';
import { validateCatalog } from './validate.js';

export interface LocatedDoc {
  readonly value: unknown;
  readonly source: SourceLocation;
}

type Obj = Record<string, unknown>;

class Checker {
  constructor(
    readonly where: string,
    readonly doc: Obj,
  ) {}
  fail(problem: string): never {
    throw new CatalogError(`${this.where}: ${problem}`);
  }
  str(key: string, o: Obj = this.doc, path = key): string {
    const v = o[key];
    if (typeof v !== 'string' || v === '') this.fail(v === undefined ? `no "${path}"` : `"${path}" must be a non-empty string`);
    return v;
  }
  optStr(key: string, o: Obj = this.doc, path = key): string | undefined {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') this.fail(`"${path}" must be a string`);
    return v;
  }
  arr(key: string, o: Obj = this.doc, path = key): unknown[] {
    const v = o[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(`"${path}" must be a list`);
    return v;
  }
  obj(v: unknown, path: string): Obj {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(`"${path}" must be an object`);
    return v as Obj;
  }
  range(text: string, path: string): string {
    try {
      parseSemverRange(text);
    } catch (e) {
      if (e instanceof SemverError) this.fail(`"${path}": ${e.message}`);
      throw e;
    }
    return text;
  }
}

function parsePackage(c: Checker, source: SourceLocation): CatalogPackage {
  const name = c.str('name');
  const defaultChannel = c.optStr('defaultChannel');
  const description = c.optStr('description');
  return { name, ...(defaultChannel ? { defaultChannel } : {}), ...(description !== undefined ? { description } : {}), raw: c.doc, source };
}

function parseChannel(c: Checker, source: SourceLocation): CatalogChannel {
  const name = c.str('name');
  const pkg = c.str('package');
  const entries = c.arr('entries').map((e, i): ChannelEntry => {
    const path = `entries[${i}]`;
    const o = c.obj(e, path);
    const replaces = c.optStr('replaces', o, `${path}.replaces`);
    const skipRange = c.optStr('skipRange', o, `${path}.skipRange`);
    const skips = c.arr('skips', o, `${path}.skips`).map((s, k) => {
      if (typeof s !== 'string' || s === '') c.fail(`"${path}.skips[${k}]" must be a non-empty string`);
      return s;
    });
    return {
      name: c.str('name', o, `${path}.name`),
      ...(replaces ? { replaces } : {}),
      skips,
      ...(skipRange ? { skipRange: c.range(skipRange, `${path}.skipRange`) } : {}),
      raw: o,
    };
  });
  return { name, package: pkg, entries, raw: c.doc, source };
}

function gvkOf(c: Checker, v: unknown, path: string): Gvk {
  const o = c.obj(v, path);
  return { group: c.optStr('group', o, `${path}.group`) ?? '', version: c.str('version', o, `${path}.version`), kind: c.str('kind', o, `${path}.kind`) };
}

function parseBundle(c: Checker, source: SourceLocation): CatalogBundle {
  const name = c.str('name');
  const pkg = c.str('package');
  const image = c.optStr('image') ?? '';
  const properties: BundleProperty[] = [];
  const providedGvks: Gvk[] = [];
  const requiredGvks: Gvk[] = [];
  const requiredPackages: PackageRequirement[] = [];
  let version: string | undefined;
  c.arr('properties').forEach((p, i) => {
    const path = `properties[${i}]`;
    const o = c.obj(p, path);
    const type = c.str('type', o, `${path}.type`);
    properties.push({ type, value: o.value });
    const vpath = `${path}.value`;
    switch (type) {
      case 'olm.package': {
        const v = c.obj(o.value, vpath);
        if (c.str('packageName', v, `${vpath}.packageName`) !== pkg) c.fail(`"${vpath}.packageName" is not the bundle's package "${pkg}"`);
        version = c.str('version', v, `${vpath}.version`);
        if (!isSemver(version)) c.fail(`"${vpath}.version": "${version}" is not a semantic version`);
        break;
      }
      case 'olm.package.required': {
        const v = c.obj(o.value, vpath);
        requiredPackages.push({ packageName: c.str('packageName', v, `${vpath}.packageName`), versionRange: c.range(c.str('versionRange', v, `${vpath}.versionRange`), `${vpath}.versionRange`) });
        break;
      }
      case 'olm.gvk':
        providedGvks.push(gvkOf(c, o.value, vpath));
        break;
      case 'olm.gvk.required':
        requiredGvks.push(gvkOf(c, o.value, vpath));
        break;
    }
  });
  const relatedImages = c.arr('relatedImages').map((r, i): RelatedImage => {
    const o = c.obj(r, `relatedImages[${i}]`);
    return { name: c.optStr('name', o, `relatedImages[${i}].name`) ?? '', image: c.str('image', o, `relatedImages[${i}].image`) };
  });
  return { name, package: pkg, image, ...(version ? { version } : {}), properties, providedGvks, requiredGvks, requiredPackages, relatedImages, raw: c.doc, source };
}

function parseDeprecation(c: Checker, source: SourceLocation): CatalogDeprecation {
  const pkg = c.str('package');
  const entries = c.arr('entries').map((e, i) => {
    const path = `entries[${i}]`;
    const o = c.obj(e, path);
    const ref = c.obj(o.reference, `${path}.reference`);
    const schema = c.str('schema', ref, `${path}.reference.schema`);
    if (schema !== 'olm.package' && schema !== 'olm.channel' && schema !== 'olm.bundle') c.fail(`"${path}.reference.schema" must be olm.package, olm.channel or olm.bundle`);
    const name = c.optStr('name', ref, `${path}.reference.name`);
    if (schema !== 'olm.package' && !name) c.fail(`"${path}.reference.name" is needed for ${schema}`);
    return { reference: { schema, ...(name ? { name } : {}) }, message: c.str('message', o, `${path}.message`) };
  });
  return { package: pkg, entries, raw: c.doc, source };
}

/** Builds and validates a catalog from located documents. */
export function catalogFromDocs(docs: readonly LocatedDoc[]): Catalog {
  const out = { packages: [] as CatalogPackage[], channels: [] as CatalogChannel[], bundles: [] as CatalogBundle[], deprecations: [] as CatalogDeprecation[], others: [] as OpaqueDoc[] };
  for (const d of docs) {
    if (typeof d.value !== 'object' || d.value === null || Array.isArray(d.value)) throw new CatalogError(`${at(d.source)}: a catalog document must be an object`);
    const doc = d.value as Obj;
    const schema = doc.schema;
    if (typeof schema !== 'string' || schema === '') throw new CatalogError(`${at(d.source)}: document has no "schema"`);
    const label = typeof doc.name === 'string' ? `${schema} "${doc.name}"` : schema;
    const c = new Checker(`${at(d.source)}: ${label}`, doc);
    switch (schema) {
      case 'olm.package':
        out.packages.push(parsePackage(c, d.source));
        break;
      case 'olm.channel':
        out.channels.push(parseChannel(c, d.source));
        break;
      case 'olm.bundle':
        out.bundles.push(parseBundle(c, d.source));
        break;
      case 'olm.deprecations':
        out.deprecations.push(parseDeprecation(c, d.source));
        break;
      default:
        out.others.push({ schema, ...(typeof doc.package === 'string' ? { package: doc.package } : {}), raw: doc as RawDoc, source: d.source });
    }
  }
  validateCatalog(out);
  return out;
}
