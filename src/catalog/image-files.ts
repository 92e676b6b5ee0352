/**
 * Copies the files under one path of an image into a private directory:
 * the layers are walked top-most first with extract/layer-tar.ts (each
 * layer digest-verified, names normalized, `..` and absolute names refused)
 * and extract/whiteouts.ts; the first occurrence of a path wins, a
 * non-directory hides a lower directory, whiteouts hide lower layers.
 * Only regular files are written (links, devices and fifos are skipped and
 * counted), with O_EXCL into directories this function creates under
 * `into`, so nothing is written outside it. Caps bound the total size and
 * the number of files.
 *
 * This is the small generalisation of release/payload-reader.ts's layer
 * walk that a shared "read files from an image" helper should offer:
 * `readImageFiles(src, image, { under, sink })` with the sink either
 * in-memory (release manifests) or a directory (catalogs), in oci/ or
 * extract/ once both callers use it.
 */
import { mkdir, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { manifestRefs } from '../copy/manifest-refs.js';
import { walkLayer } from '../extract/layer-tar.js';
import { Whiteouts } from '../extract/whiteouts.js';
import type { ImageSource, RawManifest } from '../transports/types.js';
import { CatalogError } from './errors.js';

export interface ExtractLimits {
  readonly maxBytes: number;
  readonly maxFiles: number;
}

export const DEFAULT_LIMITS: ExtractLimits = { maxBytes: 4 * 1024 ** 3, maxFiles: 500_000 };

export interface ExtractedTree {
  readonly files: number;
  readonly bytes: number;
  readonly skipped: number;
  /** False when nothing existed at the path in any layer. */
  readonly found: boolean;
}

/** Capping pass-through counter. */
async function* capped(body: Readable, budget: { left: number }, what: string): AsyncGenerator<Buffer> {
  for await (const c of body as AsyncIterable<Buffer>) {
    budget.left -= c.length;
    if (budget.left < 0) throw new CatalogError(`${what}: the catalog is larger than the extraction limit`);
    yield c;
  }
}

/**
 * Extracts the files under `imagePath` (`/configs`, or one file such as
 * `/database/index.db`) of `image` into `into` (an existing, private, empty
 * directory), keeping their paths relative to `imagePath` (a single file
 * keeps its base name).
 */
export async function extractImagePath(src: ImageSource, image: RawManifest, imagePath: string, into: string, limits: ExtractLimits = DEFAULT_LIMITS, signal?: AbortSignal): Promise<ExtractedTree> {
  const want = imagePath.replace(/^\/+|\/+$/g, '');
  const refs = manifestRefs(image);
  if (refs.kind !== 'image') throw new CatalogError(`manifest ${image.digest} is not an image`);
  const seen = new Map<string, 'dir' | 'other'>();
  const made = new Set<string>(['']);
  const whiteouts = new Whiteouts();
  const budget = { left: limits.maxBytes };
  let files = 0;
  let skipped = 0;
  let found = false;
  const relOf = (path: string): string | undefined => {
    if (want === '') return path;
    if (path === want) return path.slice(path.lastIndexOf('/') + 1);
    if (path.startsWith(`${want}/`)) return path.slice(want.length + 1);
    return undefined;
  };
  const hiddenByUpper = (path: string): boolean => {
    for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) if (seen.get(path.slice(0, i)) === 'other') return true;
    return false;
  };
  for (const layer of [...refs.layers].reverse()) {
    await walkLayer(
      src,
      layer,
      async (entry, body) => {
        if (whiteouts.note(entry)) return;
        if (entry.path === '' || whiteouts.hides(entry.path) || seen.has(entry.path) || hiddenByUpper(entry.path)) return;
        const isDir = entry.type === 'directory';
        seen.set(entry.path, isDir ? 'dir' : 'other');
        const rel = relOf(entry.path);
        for (let i = entry.path.indexOf('/'); i >= 0; i = entry.path.indexOf('/', i + 1)) if (!seen.has(entry.path.slice(0, i))) seen.set(entry.path.slice(0, i), 'dir');
        if (rel === undefined) return;
        found = true;
        if (isDir) return;
        if (entry.type !== 'file' && entry.type !== 'contiguous-file') {
          skipped++;
          return;
        }
        if (rel === '') return;
        if (++files > limits.maxFiles) throw new CatalogError(`${imagePath}: more than ${limits.maxFiles} files`);
        const dest = join(into, rel);
        const parent = dirname(rel);
        if (parent !== '.' && !made.has(parent)) {
          await mkdir(join(into, parent), { recursive: true, mode: 0o700 });
          made.add(parent);
        }
        const fh = await open(dest, 'wx', 0o600);
        try {
          await pipeline(capped(body, budget, imagePath), fh.createWriteStream());
        } finally {
          await fh.close().catch(() => undefined);
        }
      },
      signal,
    );
    whiteouts.endLayer();
  }
  return { files, bytes: limits.maxBytes - budget.left, skipped, found };
}
