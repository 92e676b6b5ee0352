/** Writing small, freshly built blobs and manifests to an ImageDestination. */
import { Readable } from 'node:stream';
import { digestOf, type Digest } from '../oci/digest.js';
import type { ImageDestination, RawManifest } from '../transports/types.js';

export async function putBytes(dst: ImageDestination, bytes: Buffer, mediaType?: string): Promise<{ digest: Digest; size: number }> {
  const blob = { digest: digestOf(bytes), size: bytes.length, ...(mediaType ? { mediaType } : {}) };
  if ((await dst.hasBlob(blob)) !== 'present') await dst.putBlob(blob, Readable.from([bytes]));
  return { digest: blob.digest, size: blob.size };
}

/** A manifest from a JSON document (serialized once, here, when it is created). */
export function newManifest(doc: unknown, mediaType: string): RawManifest {
  const bytes = Buffer.from(JSON.stringify(doc), 'utf8');
  return { bytes, mediaType, digest: digestOf(bytes) };
}

export async function putManifest(dst: ImageDestination, m: RawManifest, tag?: string): Promise<void> {
  await dst.putManifest(m, tag !== undefined ? { tag } : {});
}
