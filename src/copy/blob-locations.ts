/**
 * Where blobs were seen in earlier runs (like skopeo's blob-info cache):
 * store → digest → repositories that held it, most recent first. A later run
 * that needs a blob in a new repository of the same registry can then mount
 * it from one of them instead of uploading it again.
 *
 * It is only a cache: an entry can be stale (the blob was deleted, the
 * credentials changed), which costs one declined mount and the upload that
 * would have happened anyway. The file is JSON, read once at start and
 * written once at the end (merged with what another run may have written
 * meanwhile, to a temporary file renamed into place, mode 0600).
 */
import { INPUT_LIMITS, readInputFile } from '../util/input-file.js';
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Digest } from '../oci/digest.js';

/** Repositories kept per blob. */
const PER_BLOB = 4;
/** Blobs kept per file (oldest dropped first). */
const MAX_BLOBS = 200_000;

type Entries = Map<string, string[]>;

interface FileDoc {
  version: 1;
  /** `store\u0000digest` → repositories, oldest blob first. */
  blobs: [string, string[]][];
}

/** `$XDG_CACHE_HOME/airlock/blob-locations.json` (default `~/.cache/airlock/…`). */
export function defaultBlobLocationsFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'airlock', 'blob-locations.json');
}

async function readEntries(file: string): Promise<Entries> {
  let text: string;
  try {
    text = await readInputFile(file, 'blob location cache', INPUT_LIMITS.list);
  } catch {
    return new Map();
  }
  try {
    const doc = JSON.parse(text) as Partial<FileDoc>;
    if (doc.version !== 1 || !Array.isArray(doc.blobs)) return new Map();
    const out: Entries = new Map();
    for (const e of doc.blobs) {
      if (Array.isArray(e) && typeof e[0] === 'string' && Array.isArray(e[1])) out.set(e[0], e[1].filter((r): r is string => typeof r === 'string').slice(0, PER_BLOB));
    }
    return out;
  } catch {
    // A damaged cache is an empty one; the next save replaces it.
    return new Map();
  }
}

export class BlobLocations {
  /** Learned in this run, to be merged into the file. */
  private readonly learned: Entries = new Map();

  private constructor(
    readonly file: string,
    private readonly known: Entries,
  ) {}

  /** Reads `file` (missing or unreadable: empty). */
  static async load(file: string): Promise<BlobLocations> {
    return new BlobLocations(file, await readEntries(file));
  }

  /** Not backed by a file (save() does nothing): hints for one run, e.g. where d2m may mount blobs an archive left out. */
  static ephemeral(): BlobLocations {
    return new BlobLocations('', new Map());
  }

  private static key(store: string, digest: Digest): string {
    return `${store}\u0000${digest}`;
  }

  /** Repositories of `store` that held `digest` in an earlier or this run, most recent first. */
  candidates(store: string, digest: Digest): readonly string[] {
    const k = BlobLocations.key(store, digest);
    return [...new Set([...(this.learned.get(k) ?? []), ...(this.known.get(k) ?? [])])];
  }

  /** `repository` of `store` now holds `digest`. */
  record(store: string, digest: Digest, repository: string): void {
    const k = BlobLocations.key(store, digest);
    const list = this.learned.get(k) ?? [];
    this.learned.set(k, [repository, ...list.filter((r) => r !== repository)].slice(0, PER_BLOB));
  }

  /** Merges what this run learned into the file as it is now, atomically. */
  async save(): Promise<void> {
    if (this.learned.size === 0 || this.file === '') return;
    const merged = await readEntries(this.file);
    for (const [k, repos] of this.learned) {
      const old = merged.get(k) ?? [];
      merged.delete(k); // re-inserted last: the most recently used blobs survive trimming
      merged.set(k, [...new Set([...repos, ...old])].slice(0, PER_BLOB));
    }
    const blobs = [...merged].slice(-MAX_BLOBS);
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify({ version: 1, blobs } satisfies FileDoc), { mode: 0o600, flush: true });
      await rename(tmp, this.file);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }
}
