/**
 * Writes a catalog back as FBC, deterministically: one
 * `<package>/catalog.json` per package (packageDir()) holding its olm.package, its
 * channels (by name), bundles (by version, then name), olm.deprecations and
 * the opaque documents that name the package; opaque documents of no
 * package go to `_other/catalog.json`. Each document is pretty-printed JSON
 * (2-space indent) with keys in the order read, documents separated by a
 * newline. fbcFiles() is pure; writeFbcDir() puts the files on disk.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { byVersion } from './graph.js';
import { fnv32aHex } from './naming.js';
import { CatalogIndex, type Catalog, type RawDoc } from './model.js';

/** A package's directory name: the name itself when it is a safe file name, else `package-<fnv32a>`. */
export function packageDir(name: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/.test(name) ? name : `package-${fnv32aHex(name)}`;
}

const doc = (raw: RawDoc): string => `${JSON.stringify(raw, null, 2)}\n`;
const byName = <T extends { name: string }>(a: T, b: T): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Relative path → file content, in path order. */
export function fbcFiles(c: Catalog): Map<string, string> {
  const idx = new CatalogIndex(c);
  const files = new Map<string, string>();
  for (const p of [...c.packages].sort(byName)) {
    const parts = [doc(p.raw)];
    for (const ch of [...idx.channels(p.name)].sort(byName)) parts.push(doc(ch.raw));
    const bundles = idx.bundlesByPackage.get(p.name) ?? [];
    for (const name of byVersion(idx, p.name, bundles.map((b) => b.name))) parts.push(doc(idx.bundle(p.name, name)!.raw));
    for (const d of c.deprecations.filter((x) => x.package === p.name)) parts.push(doc(d.raw));
    for (const o of c.others.filter((x) => x.package === p.name)) parts.push(doc(o.raw));
    files.set(`${packageDir(p.name)}/catalog.json`, parts.join(''));
  }
  const rest = c.others.filter((o) => o.package === undefined || !idx.packages.has(o.package));
  if (rest.length > 0) files.set('_other/catalog.json', rest.map((o) => doc(o.raw)).join(''));
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Writes fbcFiles(c) under `dir` (created; files must not exist yet). */
export async function writeFbcDir(c: Catalog, dir: string): Promise<string[]> {
  const files = fbcFiles(c);
  for (const [rel, text] of files) {
    const path = join(dir, rel);
    await mkdir(join(path, '..'), { recursive: true, mode: 0o755 });
    await writeFile(path, text, { flag: 'wx', mode: 0o644 });
  }
  return [...files.keys()];
}
