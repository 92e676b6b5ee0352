import { DigestHasher, type Digest, type DigestAlgorithm } from '../oci/digest.js';
import type { MetadataStore } from '../metadata/store.js';
import { blobPath, type BlobStore } from '../storage/blob-store.js';

/**
 * What reconciling blob storage with the metadata found (and, unless a dry
 * run, did). Lists stay short in practice: they hold crash leftovers and
 * storage damage, not ordinary garbage.
 */
export interface ReconcileReport {
  /** Files without a row that nothing references, older than the grace period: deleted. */
  readonly strayFiles: { digest: Digest; size: number }[];
  readonly strayBytes: number;
  /** Files without a row younger than the grace period: kept. */
  readonly youngStrayFiles: number;
  /**
   * Files without a row that manifests still reference (their row was dropped
   * while the file was missing, and it came back): re-linked to those
   * repositories after the bytes verified against the digest. A dry run lists
   * them unverified.
   */
  readonly relinkedFiles: { digest: Digest; size: number }[];
  /**
   * Rows whose file is missing: the row and its repository links are dropped,
   * so HEAD/GET answer BLOB_UNKNOWN, a manifest PUT needing the blob answers
   * MANIFEST_BLOB_UNKNOWN and clients push it again. Manifests referencing it
   * (`manifests`) are kept: re-pushing the blob repairs them.
   */
  readonly missingFiles: { digest: Digest; size: number; manifests: number }[];
  readonly missingBytes: number;
  /** Why the rows side was skipped, when it was. */
  readonly warning?: string;
  /** false when the walk was cut short because the collector is stopping. */
  readonly complete: boolean;
}

export interface ReconcileOptions {
  /** Stray files last modified before this (epoch ms) may be deleted. */
  readonly olderThan: number;
  /** Time stamp for re-created links. */
  readonly now: number;
  /** Report only; take no lock, change nothing. */
  readonly dryRun: boolean;
  /** Polled between directories; true stops the walk. */
  readonly stopped?: () => boolean;
}

const LAYOUT: readonly { alg: DigestAlgorithm; hexLength: number }[] = [
  { alg: 'sha256', hexLength: 64 },
  { alg: 'sha512', hexLength: 128 },
];
const PREFIXES = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const HEX = /^[0-9a-f]+$/;

/** True when blobs/ holds at least one blob file (stops at the first one found). */
async function anyBlobFile(blobs: BlobStore): Promise<boolean> {
  for (const alg of await blobs.driver.list('blobs')) {
    for (const p of await blobs.driver.list(`blobs/${alg}`)) {
      if ((await blobs.driver.list(`blobs/${alg}/${p}`)).length > 0) return true;
    }
  }
  return false;
}

async function verifies(blobs: BlobStore, digest: Digest, alg: DigestAlgorithm): Promise<boolean> {
  const h = new DigestHasher(alg);
  for await (const chunk of await blobs.open(digest)) h.update(chunk as Buffer);
  return h.digest() === digest;
}

/**
 * Walks blobs/<alg>/<xx>/ one directory at a time and compares each with the
 * rows of the same prefix (one index range query), so the walk costs a
 * directory listing per prefix, not a stat per blob. Every repair runs under
 * the blob's per-digest lock — the lock a commit holds from moving its file
 * into place until its row is written — and re-checks row and file first, so
 * a commit in flight is never mistaken for a leftover. Stray files must also
 * be older than the grace period.
 */
export async function reconcileBlobs(meta: MetadataStore, blobs: BlobStore, opts: ReconcileOptions): Promise<ReconcileReport> {
  const stray: { digest: Digest; size: number }[] = [];
  const relinked: { digest: Digest; size: number }[] = [];
  const missing: { digest: Digest; size: number; manifests: number }[] = [];
  let young = 0;
  const locked = <T>(d: Digest, fn: () => Promise<T>): Promise<T> => (opts.dryRun ? fn() : blobs.digestLocks.run(d, fn));

  const onStray = (d: Digest, alg: DigestAlgorithm) =>
    locked(d, async () => {
      if ((await meta.blobSize(d)) !== undefined) return; // committed meanwhile
      const info = await blobs.driver.stat(blobPath(d));
      if (!info) return;
      if ((await meta.blobReferenceCount(d)) > 0) {
        if (opts.dryRun) return void relinked.push({ digest: d, size: info.size });
        if ((await verifies(blobs, d, alg)) && (await meta.relinkBlob(d, info.size, opts.now)) > 0) {
          return void relinked.push({ digest: d, size: info.size });
        }
        // Corrupt bytes (or no longer referenced): an ordinary stray file.
      }
      if (info.modifiedAt.getTime() >= opts.olderThan) return void young++;
      if (!opts.dryRun) await blobs.deleteBlob(d);
      stray.push({ digest: d, size: info.size });
    });

  const onMissing = (d: Digest) =>
    locked(d, async () => {
      const size = await meta.blobSize(d);
      if (size === undefined || (await blobs.driver.stat(blobPath(d)))) return;
      const manifests = await meta.blobReferenceCount(d);
      if (!opts.dryRun && !(await meta.dropBlobRow(d))) return;
      missing.push({ digest: d, size, manifests });
    });

  // An empty blob tree while rows exist looks like storage that is not
  // mounted: dropping every row then would turn a mount problem into data loss.
  const rowsSide = (await anyBlobFile(blobs)) || (await meta.blobStats()).count === 0;
  let complete = true;
  walk: for (const { alg, hexLength } of LAYOUT) {
    const dirs = new Set(await blobs.driver.list(`blobs/${alg}`));
    for (const prefix of PREFIXES) {
      if (opts.stopped?.()) {
        complete = false;
        break walk;
      }
      const names = dirs.has(prefix) ? await blobs.driver.list(`blobs/${alg}/${prefix}`) : [];
      const files = new Set(names.filter((n) => n.length === hexLength && n.startsWith(prefix) && HEX.test(n)));
      const rows = new Set((await meta.blobsWithPrefix(`${alg}:${prefix}`)).map((r) => r.digest.slice(alg.length + 1)));
      for (const hex of files) if (!rows.has(hex)) await onStray(`${alg}:${hex}` as Digest, alg);
      if (rowsSide) for (const hex of rows) if (!files.has(hex)) await onMissing(`${alg}:${hex}` as Digest);
    }
  }
  const sum = (xs: { size: number }[]) => xs.reduce((a, x) => a + x.size, 0);
  return {
    strayFiles: stray,
    strayBytes: sum(stray),
    youngStrayFiles: young,
    relinkedFiles: relinked,
    missingFiles: missing,
    missingBytes: sum(missing),
    ...(rowsSide ? {} : { warning: 'blob storage holds no blob files but the metadata lists some: is the storage mounted? rows left alone' }),
    complete,
  };
}
