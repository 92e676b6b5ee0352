/**
 * Reads a deprecated SQLite operator index (operator-registry's
 * `index.db`; SQLite support was removed upstream in 2026) into the catalog
 * model, opened read-only on a file the caller extracted into a private
 * directory. Read: packages (default channel), channels with their entries
 * (`channel_entry`, oldest first, with its per-channel `replaces`), each
 * bundle's skips/skipRange,
 * version and image (`operatorbundle.bundlepath`), `related_image`,
 * `properties` and `dependencies` (and `api_provider`/`api_requirer` for
 * GVKs) when those tables exist, and `deprecated` bundles. `raw` holds the
 * equivalent FBC documents, so fbc-write.ts can migrate the index.
 * A file that is not SQLite, or not an index, is a one-line CatalogError.
 */
import Database from 'better-sqlite3';
import { CatalogError } from './errors.js';
import type { BundleProperty, Catalog, CatalogBundle, CatalogChannel, CatalogDeprecation, CatalogPackage, ChannelEntry, Gvk, PackageRequirement, RelatedImage } from './model.js';
import { isSemver } from './semver.js';
import { validateCatalog } from './validate.js';

export const SQLITE_DEPRECATION_NOTICE =
  'this index uses the deprecated SQLite catalog format (operator-registry removed SQLite support in August 2026); rebuild it as a file-based catalog (`opm migrate`)';

export interface SqliteIndex {
  readonly catalog: Catalog;
  readonly warnings: readonly string[];
  /** SQLITE_DEPRECATION_NOTICE, for the caller to print. */
  readonly deprecationNotice: string;
}

const REQUIRED_TABLES = ['operatorbundle', 'package', 'channel', 'channel_entry', 'related_image'];

type Row = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v));

function jsonValue(text: unknown): unknown {
  try {
    return JSON.parse(str(text));
  } catch {
    return str(text);
  }
}

/** Reads `path` (named `label` in messages). */
export function readSqliteIndex(path: string, label = path): SqliteIndex {
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw new CatalogError(`${label}: cannot open the SQLite index: ${(e as Error).message}`);
  }
  try {
    let tables: Set<string>;
    try {
      tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Row[]).map((r) => str(r.name)));
    } catch (e) {
      throw new CatalogError(`${label}: not an SQLite database (${(e as Error).message})`);
    }
    const missing = REQUIRED_TABLES.filter((t) => !tables.has(t));
    if (missing.length > 0) throw new CatalogError(`${label}: an SQLite file but not an operator-registry index (no table ${missing.join(', ')})`);
    try {
      return read(db, tables, label);
    } catch (e) {
      if (e instanceof CatalogError) throw e;
      throw new CatalogError(`${label}: cannot read the SQLite index: ${(e as Error).message}`);
    }
  } finally {
    db.close();
  }
}

function read(db: Database.Database, tables: ReadonlySet<string>, label: string): SqliteIndex {
  const source = { file: label, line: 0 };
  const all = (sql: string): Row[] => db.prepare(sql).all() as Row[];
  const warnings: string[] = [];

  const packages: CatalogPackage[] = all('SELECT name, default_channel FROM package ORDER BY name').map((r) => {
    const name = str(r.name);
    const def = str(r.default_channel);
    return { name, ...(def ? { defaultChannel: def } : {}), raw: { schema: 'olm.package', name, ...(def ? { defaultChannel: def } : {}) }, source };
  });

  const bundleRows = new Map(all('SELECT name, bundlepath, version, skiprange, replaces, skips FROM operatorbundle ORDER BY name').map((r) => [str(r.name), r]));
  const props = new Map<string, BundleProperty[]>();
  const deps = new Map<string, BundleProperty[]>();
  const pushTo = (m: Map<string, BundleProperty[]>, k: string, p: BundleProperty): void => void (m.get(k) ?? m.set(k, []).get(k)!).push(p);
  if (tables.has('properties')) for (const r of all('SELECT type, value, operatorbundle_name FROM properties ORDER BY rowid')) pushTo(props, str(r.operatorbundle_name), { type: str(r.type), value: jsonValue(r.value) });
  if (tables.has('dependencies')) for (const r of all('SELECT type, value, operatorbundle_name FROM dependencies ORDER BY rowid')) pushTo(deps, str(r.operatorbundle_name), { type: str(r.type), value: jsonValue(r.value) });
  const apis = (table: string): Map<string, Gvk[]> => {
    const m = new Map<string, Gvk[]>();
    if (!tables.has(table)) return m;
    const rows = all(`SELECT DISTINCT a.group_name, a.version, a.kind, e.operatorbundle_name FROM ${table} a JOIN channel_entry e ON e.entry_id = a.channel_entry_id ORDER BY a.group_name, a.version, a.kind`);
    for (const r of rows) (m.get(str(r.operatorbundle_name)) ?? m.set(str(r.operatorbundle_name), []).get(str(r.operatorbundle_name))!).push({ group: str(r.group_name), version: str(r.version), kind: str(r.kind) });
    return m;
  };
  const provided = apis('api_provider');
  const required = apis('api_requirer');
  const related = new Map<string, RelatedImage[]>();
  for (const r of all('SELECT DISTINCT image, operatorbundle_name FROM related_image ORDER BY operatorbundle_name, image')) {
    const k = str(r.operatorbundle_name);
    if (str(r.image) !== '') (related.get(k) ?? related.set(k, []).get(k)!).push({ name: '', image: str(r.image) });
  }

  // channels: entries from channel_entry, oldest (deepest) first; the edges come from the bundles
  // replaces is per channel (channel_entry.replaces → the replaced entry); skips and skipRange are per bundle
  const entryRows = all(
    'SELECT e.package_name, e.channel_name, e.operatorbundle_name, MAX(e.depth) AS depth, MAX(r.operatorbundle_name) AS replaced FROM channel_entry e LEFT JOIN channel_entry r ON r.entry_id = e.replaces ' +
      'GROUP BY e.package_name, e.channel_name, e.operatorbundle_name ORDER BY e.package_name, e.channel_name, depth DESC, e.operatorbundle_name',
  );
  const packageOf = new Map<string, string>();
  const channels: CatalogChannel[] = [];
  for (const r of all('SELECT name, package_name FROM channel ORDER BY package_name, name')) {
    const pkg = str(r.package_name);
    const name = str(r.name);
    const entries: ChannelEntry[] = entryRows
      .filter((e) => str(e.package_name) === pkg && str(e.channel_name) === name)
      .map((e) => {
        const b = str(e.operatorbundle_name);
        if (!packageOf.has(b)) packageOf.set(b, pkg);
        const row = bundleRows.get(b) ?? {};
        const replaces = str(e.replaced);
        const skipRange = str(row.skiprange);
        const skips = str(row.skips).split(',').map((s) => s.trim()).filter((s) => s !== '');
        const raw = { name: b, ...(replaces ? { replaces } : {}), ...(skips.length ? { skips } : {}), ...(skipRange ? { skipRange } : {}) };
        return { name: b, ...(replaces ? { replaces } : {}), skips, ...(skipRange ? { skipRange } : {}), raw };
      });
    channels.push({ name, package: pkg, entries, raw: { schema: 'olm.channel', name, package: pkg, entries: entries.map((e) => e.raw) }, source });
  }

  const bundles: CatalogBundle[] = [];
  for (const [name, row] of bundleRows) {
    const bprops = props.get(name) ?? [];
    const pkgProp = bprops.find((p) => p.type === 'olm.package')?.value as { packageName?: string; version?: string } | undefined;
    const pkg = packageOf.get(name) ?? pkgProp?.packageName;
    if (pkg === undefined) {
      warnings.push(`${label}: bundle ${name} is in no channel and names no package; left out`);
      continue;
    }
    const version = str(row.version) || pkgProp?.version || '';
    if (version !== '' && !isSemver(version)) throw new CatalogError(`${label}: bundle ${name}: version "${version}" is not a semantic version`);
    const requiredPackages: PackageRequirement[] = [];
    const requiredGvks: Gvk[] = [...(required.get(name) ?? [])];
    const properties: BundleProperty[] = [...(version ? [{ type: 'olm.package', value: { packageName: pkg, version } }] : []), ...bprops.filter((p) => p.type !== 'olm.package')];
    for (const d of deps.get(name) ?? []) {
      const v = d.value as Record<string, string>;
      if (d.type === 'olm.package' && v.packageName) requiredPackages.push({ packageName: v.packageName, versionRange: v.versionRange ?? v.version ?? '>=0.0.0' });
      else if (d.type === 'olm.gvk' && v.kind && !requiredGvks.some((g) => g.kind === v.kind && g.group === v.group && g.version === v.version)) requiredGvks.push({ group: v.group ?? '', version: v.version ?? '', kind: v.kind });
    }
    const providedGvks: Gvk[] = [...(provided.get(name) ?? [])];
    for (const p of bprops) {
      const v = p.value as Record<string, string>;
      if (p.type === 'olm.gvk' && !providedGvks.some((g) => g.kind === v.kind && g.group === v.group && g.version === v.version)) providedGvks.push({ group: v.group ?? '', version: v.version ?? '', kind: v.kind ?? '' });
    }
    for (const g of providedGvks) if (!properties.some((p) => p.type === 'olm.gvk' && JSON.stringify(p.value) === JSON.stringify(g))) properties.push({ type: 'olm.gvk', value: g });
    for (const r of requiredPackages) properties.push({ type: 'olm.package.required', value: r });
    for (const g of requiredGvks) properties.push({ type: 'olm.gvk.required', value: g });
    const relatedImages = related.get(name) ?? [];
    const image = str(row.bundlepath);
    bundles.push({
      name,
      package: pkg,
      image,
      ...(version ? { version } : {}),
      properties,
      providedGvks,
      requiredGvks,
      requiredPackages,
      relatedImages,
      raw: { schema: 'olm.bundle', name, package: pkg, image, properties, relatedImages },
      source,
    });
  }

  const deprecations: CatalogDeprecation[] = [];
  if (tables.has('deprecated')) {
    const byPkg = new Map<string, string[]>();
    for (const r of all('SELECT operatorbundle_name FROM deprecated ORDER BY operatorbundle_name')) {
      const b = str(r.operatorbundle_name);
      const pkg = packageOf.get(b);
      if (pkg !== undefined) (byPkg.get(pkg) ?? byPkg.set(pkg, []).get(pkg)!).push(b);
    }
    for (const [pkg, names] of [...byPkg].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const entries = names.map((n) => ({ reference: { schema: 'olm.bundle', name: n }, message: `bundle ${n} is deprecated` }));
      deprecations.push({ package: pkg, entries, raw: { schema: 'olm.deprecations', package: pkg, entries }, source });
    }
  }
  const catalog: Catalog = { packages, channels, bundles, deprecations, others: [] };
  validateCatalog(catalog);
  return { catalog, warnings, deprecationNotice: SQLITE_DEPRECATION_NOTICE };
}
