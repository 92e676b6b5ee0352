/**
 * Prunes a deprecated SQLite operator index (operator-registry's `index.db`)
 * in place down to a filtered catalog, keeping the file's format, schema and
 * migration history, so the index image's own `opm registry serve` keeps
 * serving it (a rebuilt SQLite catalog stays SQLite; converting it to FBC
 * would need an opm new enough for `opm serve`).
 *
 *   pruneSqliteIndex(path, keep)
 *
 * `keep` is the filtered catalog (filter.ts) of the catalog read from the same
 * file (sqlite-read.ts). In one transaction:
 * - packages, channels, channel entries and bundles not in `keep` are deleted,
 *   with the rows that name them (related_image, properties, dependencies,
 *   deprecated, api_provider/api_requirer);
 * - a kept entry whose `replaces` entry is gone loses its `replaces`, as a
 *   filtered FBC channel keeps a dangling replaces name;
 * - each kept channel's head and each package's default channel are set to
 *   the filtered catalog's;
 * - tables this module does not know (schema_migrations, …) are left alone.
 * Then VACUUM, so no deleted row survives in free pages and the same input
 * gives the same bytes. Failures are one-line CatalogErrors naming `label`.
 */
import Database from 'better-sqlite3';
import { CatalogError } from './errors.js';
import { channelHead } from './graph.js';
import { CatalogIndex, type Catalog } from './model.js';

/** Tables keyed by `operatorbundle_name`. */
const BY_BUNDLE = ['related_image', 'properties', 'dependencies', 'deprecated'];
/** Tables keyed by `channel_entry_id`. */
const BY_ENTRY = ['api_provider', 'api_requirer'];

export function pruneSqliteIndex(path: string, keep: Catalog, label = path): void {
  let db: Database.Database;
  try {
    db = new Database(path, { fileMustExist: true });
  } catch (e) {
    throw new CatalogError(`${label}: cannot open the SQLite index for pruning: ${(e as Error).message}`);
  }
  try {
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
    const idx = new CatalogIndex(keep);
    db.transaction(() => prune(db, tables, keep, idx))();
    db.exec('VACUUM');
  } catch (e) {
    if (e instanceof CatalogError) throw e;
    throw new CatalogError(`${label}: cannot prune the SQLite index: ${(e as Error).message}`);
  } finally {
    db.close();
  }
}

function prune(db: Database.Database, tables: ReadonlySet<string>, keep: Catalog, idx: CatalogIndex): void {
  db.exec('CREATE TEMP TABLE keep_package (name TEXT PRIMARY KEY); CREATE TEMP TABLE keep_bundle (name TEXT PRIMARY KEY);');
  db.exec('CREATE TEMP TABLE keep_entry (package_name TEXT, channel_name TEXT, operatorbundle_name TEXT, PRIMARY KEY (package_name, channel_name, operatorbundle_name))');
  const addPackage = db.prepare('INSERT OR IGNORE INTO keep_package VALUES (?)');
  const addBundle = db.prepare('INSERT OR IGNORE INTO keep_bundle VALUES (?)');
  const addEntry = db.prepare('INSERT OR IGNORE INTO keep_entry VALUES (?, ?, ?)');
  for (const p of keep.packages) addPackage.run(p.name);
  for (const b of keep.bundles) addBundle.run(b.name);
  for (const c of keep.channels) for (const e of c.entries) addEntry.run(c.package, c.name, e.name);

  db.exec(`DELETE FROM channel_entry WHERE NOT EXISTS (SELECT 1 FROM keep_entry k WHERE k.package_name = channel_entry.package_name
             AND k.channel_name = channel_entry.channel_name AND k.operatorbundle_name = channel_entry.operatorbundle_name)`);
  db.exec('UPDATE channel_entry SET replaces = NULL WHERE replaces IS NOT NULL AND replaces NOT IN (SELECT entry_id FROM channel_entry)');
  db.exec(`DELETE FROM channel WHERE NOT EXISTS (SELECT 1 FROM keep_entry k WHERE k.package_name = channel.package_name AND k.channel_name = channel.name)`);
  db.exec('DELETE FROM package WHERE name NOT IN (SELECT name FROM keep_package)');
  db.exec('DELETE FROM operatorbundle WHERE name NOT IN (SELECT name FROM keep_bundle)');
  for (const t of BY_BUNDLE) if (tables.has(t)) db.exec(`DELETE FROM ${t} WHERE operatorbundle_name NOT IN (SELECT name FROM keep_bundle)`);
  for (const t of BY_ENTRY) if (tables.has(t)) db.exec(`DELETE FROM ${t} WHERE channel_entry_id NOT IN (SELECT entry_id FROM channel_entry)`);

  const setHead = db.prepare('UPDATE channel SET head_operatorbundle_name = ? WHERE package_name = ? AND name = ?');
  for (const c of keep.channels) setHead.run(channelHead(idx, c), c.package, c.name);
  const setDefault = db.prepare('UPDATE package SET default_channel = ? WHERE name = ?');
  for (const p of keep.packages) if (p.defaultChannel !== undefined) setDefault.run(p.defaultChannel, p.name);
  db.exec('DROP TABLE temp.keep_package; DROP TABLE temp.keep_bundle; DROP TABLE temp.keep_entry;');
}
