import { Transform } from 'node:stream';
import { DigestHasher, parseDigest, type Digest } from '../oci/digest.js';
import { blobPath } from '../storage/blob-store.js';
import { PathNotFoundError, type StorageDriver } from '../storage/driver.js';

/**
 * One blob from the source driver to the destination driver, verified at
 * both ends: the bytes read from the source must hash to the digest while
 * they stream, and every byte read back from the destination must hash to
 * it too, with the right size. Only then may the caller write its row.
 *
 * Resume rule (`have` is the destination's blob row size, if any):
 * - a destination row with the right size and a file with the right size is
 *   trusted: rows are written only after a verified read-back (unless
 *   `rehashAll`, then it is read back and hashed again);
 * - a file with the right size but no row (a run killed between the copy
 *   and the row) is read back and hashed; it is kept when it matches;
 * - anything else is copied (again).
 */
export type BlobOutcome = 'trusted' | 'reverified' | 'copied' | 'missing-at-source';

export class BlobVerifyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BlobVerifyError';
  }
}

export async function hashAt(driver: StorageDriver, digest: Digest): Promise<{ digest: Digest; size: number }> {
  const h = new DigestHasher(parseDigest(digest).algorithm);
  for await (const chunk of await driver.read(blobPath(digest))) h.update(chunk as Buffer);
  return { digest: h.digest(), size: h.size };
}

export async function copyBlob(
  src: StorageDriver,
  dst: StorageDriver,
  blob: { digest: Digest; size: number },
  have: number | undefined,
  opts: { rehashAll: boolean; onBytes?: (n: number) => void },
): Promise<BlobOutcome> {
  const path = blobPath(blob.digest);
  const there = await dst.stat(path);
  if (there?.size === blob.size) {
    if (have === blob.size && !opts.rehashAll) return 'trusted';
    const back = await hashAt(dst, blob.digest);
    if (back.digest === blob.digest && back.size === blob.size) return 'reverified';
  }
  let input;
  try {
    input = await src.read(path);
  } catch (e) {
    if (e instanceof PathNotFoundError) return 'missing-at-source';
    throw e;
  }
  const h = new DigestHasher(parseDigest(blob.digest).algorithm);
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      h.update(chunk);
      opts.onBytes?.(chunk.length);
      cb(null, chunk);
    },
  });
  input.on('error', (e) => tap.destroy(e));
  await dst.write(path, input.pipe(tap));
  const read = { digest: h.digest(), size: h.size };
  if (read.digest !== blob.digest || read.size !== blob.size) {
    await dst.delete(path);
    throw new BlobVerifyError(`source blob ${blob.digest} is corrupt (its ${read.size} bytes hash to ${read.digest}); run airlock gc on the source, then migrate again`);
  }
  const back = await hashAt(dst, blob.digest);
  if (back.digest !== blob.digest || back.size !== blob.size) {
    await dst.delete(path);
    throw new BlobVerifyError(`blob ${blob.digest} read back from the destination as ${back.size} bytes hashing to ${back.digest}; check the object store and migrate again`);
  }
  return 'copied';
}
