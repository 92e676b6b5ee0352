/**
 * What to keep of a catalog: the shape of an ImageSetConfiguration
 * v2alpha1 `operators[]` entry (`full`, `skipDependencies`, `packages[]`
 * with `name`, `defaultChannel`, `minVersion`/`maxVersion`, `channels[]`
 * with `name`, `minVersion`/`maxVersion`), checked by parseCatalogFilter(),
 * and the CLI form `--package NAME[:CHANNEL][@MIN..MAX]` (either bound may
 * be left out: `@1.2.0..`, `@..2.0.0`; repeating a NAME adds channels).
 */
import { CatalogError } from './errors.js';
import { isSemver } from './semver.js';

export interface ChannelFilter {
  readonly name: string;
  readonly minVersion?: string;
  readonly maxVersion?: string;
}

export interface PackageFilter {
  readonly name: string;
  readonly defaultChannel?: string;
  readonly minVersion?: string;
  readonly maxVersion?: string;
  readonly channels?: readonly ChannelFilter[];
}

export interface CatalogFilter {
  readonly full?: boolean;
  readonly skipDependencies?: boolean;
  readonly packages?: readonly PackageFilter[];
}

type Obj = Record<string, unknown>;

function version(v: unknown, where: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string' || !isSemver(v)) throw new CatalogError(`${where}: "${String(v)}" is not a semantic version`);
  return v;
}

function known(o: Obj, keys: readonly string[], where: string): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new CatalogError(`${where}: unknown field "${k}" (expected ${keys.join(', ')})`);
}

function obj(v: unknown, where: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CatalogError(`${where} must be an object`);
  return v as Obj;
}

function name(v: unknown, where: string): string {
  if (typeof v !== 'string' || v === '') throw new CatalogError(`${where}: "name" must be a non-empty string`);
  return v;
}

/** Checks a filter object (e.g. a parsed YAML filter file's operators[] entry; `catalog` and target fields are allowed and ignored). */
export function parseCatalogFilter(input: unknown, where = 'filter'): CatalogFilter {
  const o = obj(input, where);
  known(o, ['catalog', 'targetCatalog', 'targetTag', 'full', 'skipDependencies', 'packages', 'platforms', 'targetCatalogSourceTemplate'], where);
  for (const k of ['full', 'skipDependencies'] as const) if (o[k] !== undefined && typeof o[k] !== 'boolean') throw new CatalogError(`${where}: "${k}" must be true or false`);
  if (o.packages !== undefined && !Array.isArray(o.packages)) throw new CatalogError(`${where}: "packages" must be a list`);
  const packages = ((o.packages ?? []) as unknown[]).map((p, i): PackageFilter => {
    const w = `${where}: packages[${i}]`;
    const po = obj(p, w);
    known(po, ['name', 'defaultChannel', 'minVersion', 'maxVersion', 'channels'], w);
    const pn = name(po.name, w);
    if (po.channels !== undefined && !Array.isArray(po.channels)) throw new CatalogError(`${w}: "channels" must be a list`);
    const channels = ((po.channels ?? []) as unknown[]).map((c, k): ChannelFilter => {
      const cw = `${w} (${pn}): channels[${k}]`;
      const co = obj(c, cw);
      known(co, ['name', 'minVersion', 'maxVersion'], cw);
      const min = version(co.minVersion, `${cw}.minVersion`);
      const max = version(co.maxVersion, `${cw}.maxVersion`);
      return { name: name(co.name, cw), ...(min ? { minVersion: min } : {}), ...(max ? { maxVersion: max } : {}) };
    });
    const min = version(po.minVersion, `${w} (${pn}).minVersion`);
    const max = version(po.maxVersion, `${w} (${pn}).maxVersion`);
    if ((min || max) && channels.some((c) => c.minVersion || c.maxVersion)) {
      throw new CatalogError(`${w} (${pn}): give minVersion/maxVersion on the package or on its channels, not both`);
    }
    if (po.defaultChannel !== undefined && (typeof po.defaultChannel !== 'string' || po.defaultChannel === '')) throw new CatalogError(`${w} (${pn}): "defaultChannel" must be a non-empty string`);
    return {
      name: pn,
      ...(po.defaultChannel ? { defaultChannel: po.defaultChannel as string } : {}),
      ...(min ? { minVersion: min } : {}),
      ...(max ? { maxVersion: max } : {}),
      ...(channels.length > 0 ? { channels } : {}),
    };
  });
  const seen = new Set<string>();
  for (const p of packages) {
    if (seen.has(p.name)) throw new CatalogError(`${where}: package ${p.name} is listed twice`);
    seen.add(p.name);
  }
  return { ...(o.full !== undefined ? { full: o.full as boolean } : {}), ...(o.skipDependencies !== undefined ? { skipDependencies: o.skipDependencies as boolean } : {}), packages };
}

/** Parses repeated `--package NAME[:CHANNEL][@MIN..MAX]` values into package filters. */
export function parsePackageFlags(values: readonly string[]): PackageFilter[] {
  const out = new Map<string, { name: string; minVersion?: string; maxVersion?: string; channels: ChannelFilter[] }>();
  const bare = new Set<string>();
  for (const v of values) {
    const at = v.indexOf('@');
    const head = at < 0 ? v : v.slice(0, at);
    const range = at < 0 ? undefined : v.slice(at + 1);
    const m = /^([^:\s]+)(?::([^:\s]+))?$/.exec(head);
    if (!m) throw new CatalogError(`--package "${v}": expected NAME[:CHANNEL][@MIN..MAX]`);
    let min: string | undefined;
    let max: string | undefined;
    if (range !== undefined) {
      const dots = range.indexOf('..');
      if (dots < 0) throw new CatalogError(`--package "${v}": a version range is MIN..MAX (either may be empty), got "${range}"`);
      min = version(range.slice(0, dots), `--package "${v}": minimum`);
      max = version(range.slice(dots + 2), `--package "${v}": maximum`);
      if (!min && !max) throw new CatalogError(`--package "${v}": the range names no version`);
    }
    const name = m[1]!;
    const entry = out.get(name) ?? { name, channels: [] };
    out.set(name, entry);
    if (m[2] !== undefined) {
      if (entry.channels.some((c) => c.name === m[2])) throw new CatalogError(`--package "${v}": channel ${m[2]} of ${name} is given twice`);
      entry.channels.push({ name: m[2], ...(min ? { minVersion: min } : {}), ...(max ? { maxVersion: max } : {}) });
    } else {
      if (bare.has(name)) throw new CatalogError(`--package "${v}": package ${name} is given twice without a channel`);
      bare.add(name);
      if (min) entry.minVersion = min;
      if (max) entry.maxVersion = max;
    }
  }
  return parseCatalogFilter({ packages: [...out.values()].map((p) => ({ ...p, channels: p.channels.length > 0 ? p.channels : undefined })) }, '--package').packages as PackageFilter[];
}
