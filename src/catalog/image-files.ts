/**
 * Copies the files under one path of an image into a private directory, for
 * the catalog readers: a thin client of extract/image-files.ts's
 * writeImageTree (the one walk over an image's layers, image-walk.ts, with
 * its union rules, digest checks and O_EXCL writes under `into` only),
 * which here answers in CatalogError.
 */
import { manifestRefs } from '../oci/manifest-refs.js';
import { ImageFilesLimitError, writeImageTree, type TreeLimits, type WrittenTree } from '../extract/image-files.js';
import type { ImageSource, RawManifest } from '../transports/types.js';
import { CatalogError } from './errors.js';

export type ExtractLimits = TreeLimits;

export const DEFAULT_LIMITS: ExtractLimits = { maxBytes: 4 * 1024 ** 3, maxFiles: 500_000 };

export type ExtractedTree = WrittenTree;

/**
 * Extracts the files under `imagePath` (`/configs`, or one file such as
 * `/database/index.db`) of `image` into `into` (an existing, private, empty
 * directory), keeping their paths relative to `imagePath` (a single file
 * keeps its base name).
 */
export async function extractImagePath(src: ImageSource, image: RawManifest, imagePath: string, into: string, limits: ExtractLimits = DEFAULT_LIMITS, signal?: AbortSignal): Promise<ExtractedTree> {
  const refs = manifestRefs(image);
  if (refs.kind !== 'image') throw new CatalogError(`manifest ${image.digest} is not an image`);
  try {
    return await writeImageTree(src, refs.layers, imagePath, into, limits, signal);
  } catch (e) {
    if (e instanceof ImageFilesLimitError) throw new CatalogError(`${e.message} (the catalog extraction limit)`, { cause: e });
    throw e;
  }
}
