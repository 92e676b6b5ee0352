/**
 * `airlock migrate`'s engine (src/migrate/) between two local installs
 * (SQLite + filesystem on both sides: the seams are the same ones PostgreSQL
 * and S3 implement; test/migrate/migrate-ha.test.ts runs the real thing),
 * and the CLI's one-line errors for bad input, which need no service.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteMetadataStore } from '../../src/metadata/sqlite/sqlite-metadata-store.js';
import type { MetadataStore } from '../../src/metadata/store.js';
import { migrate } from '../../src/migrate/migrate.js';
import { migrateRunLog } from '../../src/migrate/migrate-run-log.js';
import type { MirrorRunReport, RunLogQueries } from '../../src/metadata/run-log.js';
import { SourceDatabase } from '../../src/migrate/source-snapshot.js';
import { digestOf, type Digest } from '../../src/oci/digest.js';
import { blobPath } from '../../src/storage/blob-store.js';
import { FilesystemDriver } from '../../src/storage/fs-driver.js';
import { runAirlockCli } from '../helpers/airlock-process.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const fileHash = async (p: string) => createHash('sha256').update(await readFile(p)).digest('hex');

interface Populated {
  manifests: { repo: string; digest: Digest; content: Buffer; tags: string[] }[];
  blobs: Digest[];
}

async function putBlob(meta: MetadataStore, fs: FilesystemDriver, repo: string, bytes: Buffer): Promise<{ digest: Digest; size: number }> {
  const digest = digestOf(bytes);
  await fs.write(blobPath(digest), Readable.from([bytes]));
  await meta.linkBlob(repo, digest, bytes.length, Date.now());
  return { digest, size: bytes.length };
}

/** Two images, an index over them (tagged), a tagless image and a referrer to the first, in `library/app`; one shared layer in `other`. */
async function populate(meta: MetadataStore, fs: FilesystemDriver): Promise<Populated> {
  const repo = 'library/app';
  const out: Populated = { manifests: [], blobs: [] };
  const shared = await putBlob(meta, fs, repo, randomBytes(300_000));
  await meta.linkBlob('other', shared.digest, shared.size, Date.now());
  out.blobs.push(shared.digest);
  const image = async (i: number, tags: string[], subject?: { digest: Digest; size: number }) => {
    const config = await putBlob(meta, fs, repo, Buffer.from(JSON.stringify({ architecture: ['amd64', 'arm64', 's390x'][i % 3], os: 'linux', i })));
    const layer = await putBlob(meta, fs, repo, randomBytes(50_000 + i));
    out.blobs.push(config.digest, layer.digest);
    const doc = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...shared }, { mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
      ...(subject ? { subject: { mediaType: OCI_MANIFEST, ...subject }, artifactType: 'application/vnd.example.sbom' } : {}),
    };
    // Odd whitespace: the bytes must travel verbatim, never re-serialized.
    const content = Buffer.from(JSON.stringify(doc, null, 3) + '\n');
    const digest = digestOf(content);
    const r = await meta.putManifest({
      repo,
      digest,
      mediaType: OCI_MANIFEST,
      content,
      ...(subject ? { subject: subject.digest, artifactType: 'application/vnd.example.sbom' } : {}),
      blobRefs: [config, shared, layer],
      manifestRefs: [],
      allowAbsent: false,
      tags,
      now: Date.now(),
    });
    assert.ok(r.ok);
    out.manifests.push({ repo, digest, content, tags });
    return { digest, size: content.length };
  };
  const a = await image(0, []);
  const b = await image(1, []);
  await image(2, []); // tagless, no parent
  await image(3, [], a); // a referrer of a
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [a, b].map((m, i) => ({ mediaType: OCI_MANIFEST, ...m, platform: { os: 'linux', architecture: ['amd64', 'arm64'][i] } })) }));
  const idx = digestOf(index);
  assert.ok((await meta.putManifest({ repo, digest: idx, mediaType: OCI_INDEX, content: index, blobRefs: [], manifestRefs: [a, b], allowAbsent: false, tags: ['v1', 'latest'], now: Date.now() })).ok);
  out.manifests.push({ repo, digest: idx, content: index, tags: ['v1', 'latest'] });
  return out;
}

const RUNS = 5;
const mirrorReport = (i: number): MirrorRunReport => ({
  command: 'image mirror', startedAt: 1_700_000_000_000 + i * 1000 - 500, finishedAt: 1_700_000_000_000 + i * 1000 - 10, dryRun: false,
  repositories: [`mirror/r${i}`], images: i + 1, bytes: 1000 * i, blobsTransferred: i, blobsMounted: 0, blobsPresent: 1,
  missingCount: 0, missing: [], failedCount: i === 3 ? 1 : 0, failed: i === 3 ? [{ image: 'q.example/x:1', error: 'manifest unknown' }] : [],
});
const gcRun = (i: number) => ({ finishedAt: 1_700_000_100_000 + i * 1000, durationMs: 10 + i, manifests: i, blobs: 2 * i, uploads: 0, bytes: 100 * i, strayFiles: 0, missingFiles: 0 });

describe('migrate engine (SQLite + filesystem → SQLite + filesystem)', () => {
  let root: string;
  let src: string;
  let dst: string;
  let pop: Populated;
  let dest: SqliteMetadataStore;
  let destFs: FilesystemDriver;
  const run = async (opts: { rehashAll?: boolean } = {}) => {
    const source = new SourceDatabase(join(src, 'metadata.db'));
    try {
      return await migrate(source, new FilesystemDriver(join(src, 'storage')), dest, destFs, opts);
    } finally {
      source.close();
    }
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'airlock-migrate-'));
    src = join(root, 'src');
    dst = join(root, 'dst');
    await mkdir(src);
    await mkdir(dst);
    const meta = new SqliteMetadataStore(join(src, 'metadata.db'));
    pop = await populate(meta, new FilesystemDriver(join(src, 'storage')));
    for (let i = 0; i < RUNS; i++) await meta.runLog.addMirrorRun(mirrorReport(i), i % 2 ? 'robot$ci' : 'admin', 1_700_000_000_000 + i * 1000);
    for (let i = 0; i < RUNS; i++) await meta.runLog.addGcRun(gcRun(i));
    await meta.close();
    dest = new SqliteMetadataStore(join(dst, 'metadata.db'));
    destFs = new FilesystemDriver(join(dst, 'storage'));
  });
  after(async () => {
    await dest.close();
    await rm(root, { recursive: true, force: true });
  });

  it('copies every blob and manifest (bytes verbatim, tags, referrers, the index after its children) and never writes the source', async () => {
    const before = await fileHash(join(src, 'metadata.db'));
    const r = await run();
    assert.equal(await fileHash(join(src, 'metadata.db')), before);
    assert.equal(r.blobs.total, pop.blobs.length);
    assert.equal(r.blobs.copied, pop.blobs.length);
    assert.equal(r.manifests.written, pop.manifests.length);
    assert.deepEqual(r.manifests.skipped, []);
    assert.equal(r.sourceChanged, false);
    for (const m of pop.manifests) {
      const got = await dest.getManifestByDigest(m.repo, m.digest);
      assert.ok(got?.content.equals(m.content), `${m.digest} verbatim`);
      for (const t of m.tags) assert.equal((await dest.getManifestByTag(m.repo, t))?.digest, m.digest);
    }
    for (const d of pop.blobs) {
      const bytes = Buffer.concat(await (await destFs.read(blobPath(d))).toArray());
      assert.equal(digestOf(bytes), d);
      assert.equal(await dest.repoBlobSize('library/app', d), bytes.length);
    }
    assert.ok((await dest.repoBlobSize('other', pop.blobs[0]!)) !== undefined, 'the shared layer is linked to both repositories');
    const referrers = await dest.referrers('library/app', pop.manifests[0]!.digest);
    assert.deepEqual(referrers.map((x) => x.digest), [pop.manifests[3]!.digest]);
  });

  it('carries the run log (mirror runs with their sender and time, GC history), oldest first', async () => {
    const runs = await dest.runLog.mirrorRuns(100);
    assert.deepEqual(runs.map((r) => [r.receivedAt, r.sentBy, r.images]).reverse(),
      Array.from({ length: RUNS }, (_, i) => [1_700_000_000_000 + i * 1000, i % 2 ? 'robot$ci' : 'admin', i + 1]));
    assert.deepEqual(runs.find((r) => r.images === 4)!.failed, [{ image: 'q.example/x:1', error: 'manifest unknown' }]);
    assert.deepEqual((await dest.runLog.gcRuns(100)).reverse(), Array.from({ length: RUNS }, (_, i) => gcRun(i)));
  });

  it('the run log resumes: a run stopped after some rows, then run again, leaves every row exactly once', async () => {
    const source = new SourceDatabase(join(src, 'metadata.db'));
    const fresh = new SqliteMetadataStore(join(root, 'runlog-dst.db'));
    try {
      // The destination fails its 3rd write, as a kill -9 or a lost connection would stop the run there.
      let writes = 0;
      const real = fresh.runLog;
      const failing: RunLogQueries = {
        addMirrorRun: (...a) => real.addMirrorRun(...a),
        mirrorRuns: (...a) => real.mirrorRuns(...a),
        addGcRun: (...a) => real.addGcRun(...a),
        gcRuns: (...a) => real.gcRuns(...a),
        importRuns: async (i) => {
          if (++writes === 3) throw new Error('connection lost');
          return real.importRuns(i);
        },
      };
      await assert.rejects(migrateRunLog(source, failing), /connection lost/);
      assert.equal((await fresh.runLog.mirrorRuns(100)).length, 2);
      const r = await migrateRunLog(source, fresh.runLog);
      assert.deepEqual(r.mirrorRuns, { total: RUNS, copied: RUNS - 2, present: 2 });
      assert.deepEqual(r.gcRuns, { total: RUNS, copied: RUNS, present: 0 });
      const again = await migrateRunLog(source, fresh.runLog);
      assert.deepEqual([again.mirrorRuns.copied, again.gcRuns.copied], [0, 0]);
      assert.deepEqual((await fresh.runLog.mirrorRuns(100)).map((x) => x.receivedAt).reverse(), Array.from({ length: RUNS }, (_, i) => 1_700_000_000_000 + i * 1000));
      assert.equal((await fresh.runLog.gcRuns(100)).length, RUNS);
    } finally {
      source.close();
      await fresh.close();
    }
  });

  it('a re-run trusts what is verified, re-hashes a file without its row, and re-copies a damaged one', async () => {
    const r1 = await run();
    assert.equal(r1.blobs.copied, 0);
    assert.deepEqual([r1.runLog.mirrorRuns.present, r1.runLog.gcRuns.present, r1.runLog.mirrorRuns.copied], [RUNS, RUNS, 0]);
    assert.equal((await dest.runLog.mirrorRuns(100)).length, RUNS, 'no duplicate rows');
    assert.equal(r1.blobs.trusted, pop.blobs.length);
    assert.equal(r1.manifests.present, pop.manifests.length);
    // A run killed between a blob's copy and its row: the file is there, the row is not.
    const [x, y] = [pop.blobs[1]!, pop.blobs[2]!];
    const yBytes = Buffer.concat(await (await destFs.read(blobPath(y))).toArray());
    await dest.dropBlobRow(x);
    await dest.dropBlobRow(y);
    // y's file is damaged (same size, other bytes).
    await writeFile(join(dst, 'storage', blobPath(y)), Buffer.alloc(yBytes.length, 7));
    const r2 = await run();
    assert.equal(r2.blobs.reverified, 1);
    assert.equal(r2.blobs.copied, 1);
    assert.equal(r2.blobs.trusted, pop.blobs.length - 2);
    assert.deepEqual(Buffer.concat(await (await destFs.read(blobPath(y))).toArray()), yBytes);
    assert.equal(await dest.blobSize(x), (await destFs.stat(blobPath(x)))!.size);
    const r3 = await run({ rehashAll: true });
    assert.equal(r3.blobs.reverified, pop.blobs.length);
  });

  it('a tag pushed to the source during a pass (a writer on the same metadata.db) is picked up by another pass', async () => {
    // A second connection writes the way a serving process does, synchronously inside the first pass.
    const writer = new Database(join(src, 'metadata.db'));
    const source = new SourceDatabase(join(src, 'metadata.db'));
    const index = pop.manifests.at(-1)!;
    try {
      const r = await migrate(source, new FilesystemDriver(join(src, 'storage')), dest, destFs, {
        events: {
          phase: (name, _total, pass) => {
            if (name === 'manifests' && pass === 1) {
              writer.prepare(`INSERT INTO tags (repo_id, name, digest, updated_at) SELECT id, 'late', ?, ? FROM repositories WHERE name = ?`).run(index.digest, Date.now(), index.repo);
            }
          },
        },
      });
      assert.equal(r.passes, 2);
      assert.equal(r.sourceChanged, false);
      assert.equal((await dest.getManifestByTag(index.repo, 'late'))?.digest, index.digest);
    } finally {
      source.close();
      writer.close();
    }
  });
});

describe('airlock migrate: bad input is one line', () => {
  let root: string;
  const S3 = 's3://migrate-test/p?endpoint=http://127.0.0.1:9&region=us-east-1&forcePathStyle=true';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'airlock-migrate-cli-'));
    await mkdir(join(root, 'data'));
    await new SqliteMetadataStore(join(root, 'data', 'metadata.db')).close();
  });
  after(async () => rm(root, { recursive: true, force: true }));
  const oneLine = (stderr: string, re: RegExp) => {
    const lines = stderr.trim().split('\n');
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0]!, re);
    assert.doesNotMatch(stderr, /\n\s+at /);
  };

  it('a missing data directory', async () => {
    const r = await runAirlockCli(['migrate', '--data-dir', join(root, 'nope'), '--to-metadata', 'postgres://a@127.0.0.1:1/x', '--to-storage', S3]);
    assert.equal(r.code, 2);
    oneLine(r.stderr, /^error: data directory .*nope does not exist; pass --data-dir/);
  });
  it('a directory without an embedded registry', async () => {
    const r = await runAirlockCli(['migrate', '--data-dir', root, '--to-metadata', 'postgres://a@127.0.0.1:1/x', '--to-storage', S3]);
    assert.equal(r.code, 2);
    oneLine(r.stderr, /^error: no embedded registry in .* \(missing metadata\.db\)/);
  });
  it('a bad s3 URL', async () => {
    const r = await runAirlockCli(['migrate', '--data-dir', join(root, 'data'), '--to-metadata', 'postgres://a@127.0.0.1:1/x', '--to-storage', 'http://bucket/x']);
    assert.equal(r.code, 2);
    oneLine(r.stderr, /^error: --to-storage: invalid --to-storage URL: unsupported scheme "http:" \(expected s3:\/\/\)$/);
  });
  it('an unreachable PostgreSQL (the password never printed)', async () => {
    const r = await runAirlockCli(['migrate', '--data-dir', join(root, 'data'), '--to-metadata', 'postgres://a:s3cret@127.0.0.1:1/x', '--to-storage', S3]);
    assert.equal(r.code, 2);
    oneLine(r.stderr, /^error: --to-metadata: .*check --metadata and that PostgreSQL is running$/);
    assert.doesNotMatch(r.stderr + r.stdout, /s3cret/);
  });
  it('--help has an example', async () => {
    const r = await runAirlockCli(['migrate', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Example:\n\s+.*airlock migrate --data-dir/);
  });
});
