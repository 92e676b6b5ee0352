import type { MetadataStore } from '../metadata/store.js';
import { digestOf, parseDigest, type Digest } from '../oci/digest.js';
import type { StorageDriver } from '../storage/driver.js';
import { copyBlob, type BlobOutcome } from './copy-blob.js';
import { migrateRunLog, type RunLogReport } from './migrate-run-log.js';
import type { SourceDatabase, SourceManifest, SourceSnapshot } from './source-snapshot.js';

/**
 * `airlock migrate`: an embedded install (SQLite + a filesystem data
 * directory) into the shared stores (PostgreSQL + S3), through the
 * MetadataStore and StorageDriver seams only.
 *
 * Order, so that nothing at the destination ever points at a missing blob:
 * 1. each blob is copied and verified (copy-blob.ts), and only then its row
 *    and repository links are written (one transaction);
 * 2. manifests, children before the indexes that list them, each with its
 *    bytes verbatim (digest and size re-checked) and its tags, through
 *    `putManifest`, which itself refuses references to absent blobs.
 * Referrers are manifests with a subject: they travel as manifests.
 * 3. the run log (mirror runs, GC history), row by row under stable keys
 *    (migrate-run-log.ts).
 *
 * The destination metadata is the resume record: a blob row exists only
 * after its bytes were verified, a manifest row only after its blobs. A
 * re-run (after kill -9 too) skips what is there and finishes the rest.
 * The source is only read. When the source changed during a pass (content
 * pushed or tagged meanwhile), another pass runs, up to `maxPasses`; the
 * report says whether the last pass still saw changes (then stop writes to
 * the source and run once more).
 */

export interface MigrateOptions {
  /** Re-hash blobs the destination already holds with a row (default: trust them). */
  readonly rehashAll?: boolean;
  /** Blobs copied at once (default 4). */
  readonly concurrency?: number;
  /** Passes at most while the source keeps changing (default 3). */
  readonly maxPasses?: number;
  readonly events?: MigrateEvents;
  readonly now?: () => number;
}

export interface MigrateEvents {
  phase?(name: 'blobs' | 'manifests', total: number, pass: number): void;
  blob?(done: number, total: number, digest: Digest, size: number, outcome: BlobOutcome): void;
  bytes?(n: number): void;
  manifest?(done: number, total: number, m: SourceManifest, outcome: ManifestOutcome): void;
}

export type ManifestOutcome = 'written' | 'present' | 'skipped';

export interface MigrateReport {
  passes: number;
  repositories: number;
  blobs: { total: number; copied: number; reverified: number; trusted: number; bytesCopied: number; missingAtSource: Digest[] };
  /** Blob rows of the source nothing links or references (garbage): not migrated. */
  unreferencedBlobs: number;
  manifests: { total: number; written: number; present: number; skipped: { repo: string; digest: Digest; reason: string }[] };
  tags: number;
  /** The source changed during the last pass: stop writes to it and run migrate once more. */
  sourceChanged: boolean;
  /** Mirror runs and GC history, after the content (migrate-run-log.ts). */
  runLog: RunLogReport;
}

export async function migrate(source: SourceDatabase, srcDriver: StorageDriver, dest: MetadataStore, dstDriver: StorageDriver, opts: MigrateOptions = {}): Promise<MigrateReport> {
  const maxPasses = opts.maxPasses ?? 3;
  const report: MigrateReport = {
    passes: 0,
    repositories: 0,
    blobs: { total: 0, copied: 0, reverified: 0, trusted: 0, bytesCopied: 0, missingAtSource: [] },
    unreferencedBlobs: 0,
    manifests: { total: 0, written: 0, present: 0, skipped: [] },
    tags: 0,
    sourceChanged: false,
    runLog: { mirrorRuns: { total: 0, copied: 0, present: 0 }, gcRuns: { total: 0, copied: 0, present: 0 } },
  };
  for (;;) {
    const snap = source.snapshot();
    report.passes++;
    await onePass(snap, source, srcDriver, dest, dstDriver, opts, report);
    report.sourceChanged = source.fingerprint() !== snap.fingerprint;
    if (!report.sourceChanged || report.passes >= maxPasses) {
      report.runLog = await migrateRunLog(source, dest.runLog);
      return report;
    }
  }
}

async function onePass(
  snap: SourceSnapshot,
  source: SourceDatabase,
  srcDriver: StorageDriver,
  dest: MetadataStore,
  dstDriver: StorageDriver,
  opts: MigrateOptions,
  report: MigrateReport,
): Promise<void> {
  const now = opts.now ?? Date.now;
  const ev = opts.events ?? {};
  const pass = report.passes;
  report.repositories = snap.repositories.length;
  report.unreferencedBlobs = snap.unreferencedBlobs;
  report.tags = snap.tags;
  const b = report.blobs;
  b.total = snap.blobs.length;
  b.copied = b.reverified = b.trusted = 0;
  b.missingAtSource = [];
  ev.phase?.('blobs', snap.blobs.length, pass);
  /** Blobs at the destination with a row (verified), by digest. */
  const atDest = new Set<Digest>();
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < snap.blobs.length) {
      const blob = snap.blobs[next++]!;
      const have = await dest.blobSize(blob.digest);
      const outcome = await copyBlob(srcDriver, dstDriver, blob, have, {
        rehashAll: !!opts.rehashAll,
        onBytes: (n) => {
          b.bytesCopied += n;
          ev.bytes?.(n);
        },
      });
      if (outcome === 'missing-at-source') b.missingAtSource.push(blob.digest);
      else {
        // The row and links only after the bytes are verified (the resume record).
        await dest.transaction(async (tx) => {
          for (const repo of blob.repos) await tx.linkBlob(repo, blob.digest, blob.size, now());
        });
        atDest.add(blob.digest);
        if (outcome === 'copied') b.copied++;
        else if (outcome === 'reverified') b.reverified++;
        else b.trusted++;
      }
      ev.blob?.(++done, snap.blobs.length, blob.digest, blob.size, outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, worker));

  const sourceBlobs = new Set(snap.blobs.map((x) => x.digest));
  const sourceManifests = new Set(snap.manifests.map((m) => `${m.repo}\n${m.digest}`));
  const m = report.manifests;
  m.total = snap.manifests.length;
  m.written = m.present = 0;
  m.skipped = [];
  ev.phase?.('manifests', snap.manifests.length, pass);
  let mDone = 0;
  for (const man of snap.manifests) {
    const outcome = await migrateManifest(man, source, dest, { atDest, sourceBlobs, sourceManifests, now: now() });
    if (typeof outcome === 'string') {
      if (outcome === 'written') m.written++;
      else m.present++;
    } else m.skipped.push({ repo: man.repo, digest: man.digest, reason: outcome.reason });
    ev.manifest?.(++mDone, snap.manifests.length, man, typeof outcome === 'string' ? outcome : 'skipped');
  }
}

interface ManifestContext {
  readonly atDest: Set<Digest>;
  readonly sourceBlobs: Set<Digest>;
  readonly sourceManifests: Set<string>;
  readonly now: number;
}

async function migrateManifest(man: SourceManifest, source: SourceDatabase, dest: MetadataStore, c: ManifestContext): Promise<'written' | 'present' | { reason: string }> {
  const info = await dest.manifestInfo(man.repo, man.digest);
  if (info && man.tags.every((t) => info.tags.includes(t))) return 'present';
  const content = source.manifestContent(man.digest);
  if (!content) return { reason: 'deleted from the source during the migration' };
  const actual = digestOf(content, parseDigest(man.digest).algorithm);
  if (actual !== man.digest || content.length !== man.size) {
    return { reason: `its stored bytes (${content.length}) hash to ${actual}: the source is corrupt` };
  }
  // A blob the source never had (a sparse mirror) may stay absent, as at the source; one the source has must be at the destination.
  const lost = man.blobRefs.filter((d) => c.sourceBlobs.has(d) && !c.atDest.has(d));
  if (lost.length > 0) return { reason: `its blob ${lost[0]} is missing from the source storage` };
  const declared = declaredSizes(content);
  const sparse = man.blobRefs.some((d) => !c.sourceBlobs.has(d)) || man.manifestRefs.some((d) => !c.sourceManifests.has(`${man.repo}\n${d}`));
  const r = await dest.putManifest({
    repo: man.repo,
    digest: man.digest,
    mediaType: man.mediaType,
    content,
    ...(man.artifactType !== undefined ? { artifactType: man.artifactType } : {}),
    ...(man.subject !== undefined ? { subject: man.subject } : {}),
    ...(man.annotations !== undefined ? { annotations: man.annotations } : {}),
    blobRefs: await sized(man.blobRefs, declared, (d) => dest.blobSize(d)),
    manifestRefs: await sized(man.manifestRefs, declared, async (d) => (await dest.manifestInfo(man.repo, d))?.size),
    allowAbsent: sparse,
    tags: man.tags,
    now: c.now,
  });
  if (!r.ok) {
    const what = [...r.missingBlobs.map((d) => `blob ${d} missing`), ...r.missingManifests.map((d) => `manifest ${d} missing`), ...r.wrongSizes.map((w) => `${w.digest} is ${w.stored} bytes, not ${w.declared}`)];
    return { reason: `the destination refused it: ${what.join(', ')}` };
  }
  return 'written';
}

/** Declared sizes of the manifest's descriptors (config, layers, blobs, manifests), which putManifest checks against the stored ones. */
function declaredSizes(content: Buffer): Map<string, number> {
  const out = new Map<string, number>();
  try {
    const doc = JSON.parse(content.toString('utf8')) as Record<string, unknown>;
    const add = (d: unknown): void => {
      const x = d as { digest?: unknown; size?: unknown } | null;
      if (x && typeof x.digest === 'string' && typeof x.size === 'number') out.set(x.digest, x.size);
    };
    add(doc.config);
    for (const k of ['layers', 'manifests', 'blobs', 'fsLayers']) if (Array.isArray(doc[k])) for (const d of doc[k] as unknown[]) add(d);
  } catch {
    // Not JSON (cannot happen for a stored manifest): the stored sizes stand in.
  }
  return out;
}

async function sized(digests: Digest[], declared: Map<string, number>, stored: (d: Digest) => Promise<number | undefined>): Promise<{ digest: Digest; size: number }[]> {
  const out = [];
  for (const d of digests) out.push({ digest: d, size: declared.get(d) ?? (await stored(d)) ?? 0 });
  return out;
}
