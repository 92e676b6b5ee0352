/**
 * airlock's mirror cache: a directory of entries that runs keep between
 * runs, with a size limit enforced least-recently-used first.
 *
 * Layout: `<cache-dir>/.oc-mirror/.cache/airlock/<kind>/<name>` (oc-mirror
 * v2 keeps its data in `<cache-dir>/.oc-mirror/.cache`; airlock's own part
 * is a subdirectory of it, so pruning never touches oc-mirror's files).
 * An entry is one file or one directory directly under a kind directory
 * (`graph/` Cincinnati answers, `signatures/` release signatures, …). Its
 * size is the sum of its files; its last use is its mtime, which `get`
 * refreshes. Files are written through a temp file and a rename, so a
 * reader never sees a partial entry and pruning (which skips `*.tmp-*`)
 * never removes one being written.
 *
 * Contract: `prune(max)` removes whole entries, oldest use first, until the
 * total is at most `max` bytes, and returns what it removed (or would
 * remove with `dryRun`); nothing outside the airlock part is read or removed.
 */
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const CACHE_SUBDIR = join('.oc-mirror', '.cache', 'airlock');

/** `--cache-dir` > AIRLOCK_CACHE_DIR > OC_MIRROR_CACHE > $HOME, as oc-mirror v2 picks it. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.AIRLOCK_CACHE_DIR || env.OC_MIRROR_CACHE || homedir();
}

export interface CacheEntry {
  readonly kind: string;
  readonly name: string;
  readonly path: string;
  readonly bytes: number;
  /** Last use, ms since the epoch. */
  readonly lastUsed: number;
}

export interface PruneResult {
  readonly dir: string;
  readonly maxBytes: number;
  readonly beforeBytes: number;
  readonly afterBytes: number;
  readonly removed: readonly CacheEntry[];
  readonly kept: number;
  readonly dryRun: boolean;
}

const SAFE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}$/;
const isTemp = (name: string): boolean => name.includes('.tmp-');

async function sizeOf(path: string): Promise<{ bytes: number; mtime: number }> {
  const s = await stat(path);
  if (!s.isDirectory()) return { bytes: s.size, mtime: s.mtimeMs };
  let bytes = 0;
  let mtime = s.mtimeMs;
  for (const n of await readdir(path)) {
    const c = await sizeOf(join(path, n));
    bytes += c.bytes;
    mtime = Math.max(mtime, c.mtime);
  }
  return { bytes, mtime };
}

export class CacheStore {
  /** The airlock part of the cache (`<cache-dir>/.oc-mirror/.cache/airlock`). */
  readonly dir: string;

  /** `cacheDir`: the `--cache-dir` value (the directory holding `.oc-mirror`). */
  constructor(readonly cacheDir: string) {
    this.dir = join(cacheDir, CACHE_SUBDIR);
  }

  private path(kind: string, name: string): string {
    if (!SAFE.test(kind) || !SAFE.test(name) || isTemp(name)) throw new Error(`cache entry ${kind}/${name}: not a safe name`);
    return join(this.dir, kind, name);
  }

  /** Stores `data` as entry kind/name (atomically). */
  async put(kind: string, name: string, data: string | Buffer): Promise<void> {
    const p = this.path(kind, name);
    await mkdir(join(this.dir, kind), { recursive: true });
    const tmp = `${p}.tmp-${process.pid}-${Date.now()}`;
    await writeFile(tmp, data, { mode: 0o644 });
    await rename(tmp, p);
  }

  /** The entry's bytes (its last use refreshed), or undefined. */
  async get(kind: string, name: string): Promise<Buffer | undefined> {
    const p = this.path(kind, name);
    try {
      const data = await readFile(p);
      const now = new Date();
      await utimes(p, now, now).catch(() => undefined);
      return data;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** Every entry, oldest use first. */
  async list(): Promise<CacheEntry[]> {
    const out: CacheEntry[] = [];
    let kinds: string[];
    try {
      kinds = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    for (const kind of kinds.sort()) {
      const kdir = join(this.dir, kind);
      if (!(await stat(kdir)).isDirectory()) continue;
      for (const name of (await readdir(kdir)).sort()) {
        if (isTemp(name)) continue;
        const path = join(kdir, name);
        try {
          const s = await sizeOf(path);
          out.push({ kind, name, path, bytes: s.bytes, lastUsed: s.mtime });
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }
      }
    }
    return out.sort((a, b) => a.lastUsed - b.lastUsed || a.path.localeCompare(b.path));
  }

  /** Entries whose name holds one of `digests` (`sha256:<hex>` or `<hex>`). */
  async entriesFor(digests: readonly string[]): Promise<CacheEntry[]> {
    const hex = digests.map((d) => d.slice(d.indexOf(':') + 1)).filter((h) => h.length >= 32);
    return (await this.list()).filter((e) => hex.some((h) => e.name.includes(h)));
  }

  /** Removes the entries of `digests`; returns how many. */
  async removeFor(digests: readonly string[]): Promise<number> {
    const es = await this.entriesFor(digests);
    for (const e of es) await rm(e.path, { recursive: true, force: true });
    return es.length;
  }

  /** Removes whole entries, least recently used first, until at most `maxBytes` remain. */
  async prune(maxBytes: number, dryRun = false): Promise<PruneResult> {
    const entries = await this.list();
    const beforeBytes = entries.reduce((a, e) => a + e.bytes, 0);
    let total = beforeBytes;
    const removed: CacheEntry[] = [];
    for (const e of entries) {
      if (total <= maxBytes) break;
      if (!dryRun) await rm(e.path, { recursive: true, force: true });
      removed.push(e);
      total -= e.bytes;
    }
    return { dir: this.dir, maxBytes, beforeBytes, afterBytes: total, removed, kept: entries.length - removed.length, dryRun };
  }
}
