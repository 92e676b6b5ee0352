/**
 * The two sinks over image-walk.ts that callers read files with:
 *
 * - readImageFiles: the regular files under some paths, into memory (release
 *   manifests), with a cap per file and in all;
 * - writeImageTree: the regular files under one path, into a private
 *   directory (catalog configs, a SQLite database), with caps on bytes and
 *   files. Files are created with O_EXCL in directories this module makes
 *   under `into`; nothing else is ever created (links, devices and fifos are
 *   counted, not written), so nothing is written outside `into`.
 *
 * Both see exactly the union's visible entries (image-walk.ts), digest-verified.
 */
import { mkdir, open, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobInfo, ImageSource } from '../transports/types.js';
import { imagePath, walkImage } from './image-walk.js';
import { readEntry, type LayerEntry } from './layer-tar.js';

/** A cap of readImageFiles or writeImageTree was exceeded; the message names the path. */
export class ImageFilesLimitError extends Error {
  readonly code = 'ERR_IMAGE_FILES_LIMIT';
}

const isRegular = (e: LayerEntry): boolean => e.type === 'file' || e.type === 'contiguous-file';
const isLink = (e: LayerEntry): boolean => e.type === 'symlink' || e.type === 'link';

export interface ImageFiles {
  /** Regular files, by image path (no leading `/`). */
  readonly files: Map<string, Buffer>;
  /** Symbolic and hard links (never followed), by image path. */
  readonly links: Map<string, LayerEntry>;
  readonly layersRead: number;
}

export interface ReadImageFilesOptions {
  /** Cap on all files together. */
  readonly maxBytes: number;
  /** Cap on one file (default maxBytes). */
  readonly maxFileBytes?: number;
  /** Asked after each layer with what was read so far: true ends the walk there. */
  readonly until?: (got: Pick<ImageFiles, 'files' | 'links'>) => boolean;
  readonly signal?: AbortSignal;
}

/** Reads the visible regular files at or under `paths` of an image (`layers` bottom-most first) into memory. */
export async function readImageFiles(src: ImageSource, layers: readonly BlobInfo[], paths: readonly string[], o: ReadImageFilesOptions): Promise<ImageFiles> {
  const files = new Map<string, Buffer>();
  const links = new Map<string, LayerEntry>();
  let total = 0;
  const walked = await walkImage(src, layers, {
    under: paths,
    signal: o.signal,
    stopAfterLayer: o.until && (() => o.until!({ files, links })),
    visit: async (entry, body) => {
      total -= files.get(entry.path)?.length ?? 0;
      files.delete(entry.path);
      links.delete(entry.path);
      if (isLink(entry)) links.set(entry.path, entry);
      if (!isRegular(entry)) return;
      const data = await readEntry(body, o.maxFileBytes ?? o.maxBytes, `/${entry.path}`).catch((e: Error) => {
        throw new ImageFilesLimitError(e.message);
      });
      total += data.length;
      if (total > o.maxBytes) throw new ImageFilesLimitError(`${paths.map((p) => `/${imagePath(p)}`).join(', ')}: more than ${o.maxBytes} bytes`);
      files.set(entry.path, data);
    },
  });
  return { files, links, layersRead: walked.layersRead };
}

export interface TreeLimits {
  readonly maxBytes: number;
  readonly maxFiles: number;
}

export interface WrittenTree {
  readonly files: number;
  readonly bytes: number;
  /** Visible entries that are neither directories nor regular files (not written). */
  readonly skipped: number;
  /** False when nothing existed at the path in any layer. */
  readonly found: boolean;
}

/** Capping pass-through counter. */
async function* capped(body: Readable, budget: { left: number }, what: string, limit: number): AsyncGenerator<Buffer> {
  for await (const c of body as AsyncIterable<Buffer>) {
    budget.left -= c.length;
    if (budget.left < 0) throw new ImageFilesLimitError(`${what}: more than ${limit} bytes`);
    yield c;
  }
}

/**
 * Writes the visible regular files at or under `path` into `into` (an
 * existing, private, empty directory), keeping their paths relative to
 * `path` (a single file keeps its base name).
 */
export async function writeImageTree(src: ImageSource, layers: readonly BlobInfo[], path: string, into: string, limits: TreeLimits, signal?: AbortSignal): Promise<WrittenTree> {
  const want = imagePath(path);
  const made = new Set<string>(['.']);
  /** Bytes of each file written, by relative path (a same-layer replacement gives them back). */
  const written = new Map<string, number>();
  const budget = { left: limits.maxBytes };
  let files = 0;
  let skipped = 0;
  let found = false;
  const relOf = (p: string): string => (want === '' ? p : p === want ? p.slice(p.lastIndexOf('/') + 1) : p.slice(want.length + 1));
  await walkImage(src, layers, {
    under: [want],
    signal,
    visit: async (entry, body, at) => {
      found = true;
      const rel = relOf(entry.path);
      const earlier = at.decision === 'replace' ? written.get(rel) : undefined;
      if (earlier !== undefined) {
        written.delete(rel);
        budget.left += earlier;
        files--;
        await rm(join(into, rel), { force: true });
      }
      if (entry.type === 'directory') return;
      if (!isRegular(entry)) {
        skipped++;
        return;
      }
      if (++files > limits.maxFiles) throw new ImageFilesLimitError(`/${want}: more than ${limits.maxFiles} files`);
      const parent = dirname(rel);
      if (!made.has(parent)) {
        await mkdir(join(into, parent), { recursive: true, mode: 0o700 });
        made.add(parent);
      }
      const before = budget.left;
      const fh = await open(join(into, rel), 'wx', 0o600);
      try {
        await pipeline(capped(body, budget, `/${want}`, limits.maxBytes), fh.createWriteStream());
      } finally {
        await fh.close().catch(() => undefined);
      }
      written.set(rel, before - budget.left);
    },
  });
  return { files, bytes: limits.maxBytes - budget.left, skipped, found };
}
