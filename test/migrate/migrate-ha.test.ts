/**
 * `airlock migrate` of a populated embedded install into PostgreSQL + Ceph
 * RGW, on loopback: skopeo pushes images (a big one, an OCI index, a Docker
 * manifest list, a tagless manifest) into an embedded `airlock serve`, which
 * keeps serving while the migration runs; the first run is killed with
 * SIGKILL mid-copy, content is pushed to the source meanwhile, the re-run
 * finishes, a final run after writes stop copies nothing; then `airlock serve
 * --metadata postgres://… --storage s3://…` serves every manifest and blob,
 * verified by digest, and skopeo pulls through it. Each run has its own
 * database and key prefix.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { SqliteMetadataStore } from '../../src/metadata/sqlite/sqlite-metadata-store.js';
import { SourceDatabase } from '../../src/migrate/source-snapshot.js';
import { makeFixtures, type FixtureImage, type FixtureSet } from '../fixtures/make-fixtures.js';
import { airlockCliArgs, childEnv, repoRoot, runAirlockCli, startAirlockProcess, type AirlockProcess } from '../helpers/airlock-process.js';
import { pgGate } from '../helpers/pg.js';
import { awsEnv, s3Gate, s3TestEnv } from '../helpers/s3.js';
import { createSharedStores, type SharedStores } from '../helpers/shared-stores.js';
import { skopeoAvailable, skopeoOk } from '../helpers/skopeo.js';
import { peerGate } from '../interop/support/peers.js';

const gates = [pgGate(), s3Gate(), peerGate([skopeoAvailable() ? undefined : 'skopeo (apt-get install skopeo)'])];
const failure = gates.map((g) => g.failure).find((f) => f !== undefined);
const skip = gates.map((g) => g.skip).find((s) => s !== false) ?? false;
const env = s3TestEnv();
const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const ACCEPT = 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json';
const refOf = (host: string, img: FixtureImage) => (img.tag ? `${host}/${img.repo}:${img.tag}` : `${host}/${img.repo}@${img.digest}`);

interface Report {
  passes: number;
  blobs: { total: number; copied: number; reverified: number; trusted: number; missingAtSource: string[] };
  manifests: { total: number; written: number; present: number; skipped: unknown[] };
  sourceChanged: boolean;
  accounts: { source: boolean };
}

describe('airlock migrate: embedded install → PostgreSQL + Ceph RGW', { skip }, () => {
  if (failure !== undefined) {
    it('has PostgreSQL, an S3 store and skopeo', () => assert.fail(failure));
    return;
  }
  let work: string;
  let fx: FixtureSet;
  let stores: SharedStores | undefined;
  let dbUrl: string;
  let storage: string;
  let source: AirlockProcess | undefined;
  let ha: AirlockProcess | undefined;
  const pushed: FixtureImage[] = [];
  const dataDir = () => join(work, 'data');
  const migrateArgs = (...extra: string[]) => ['migrate', '--data-dir', dataDir(), '--to-metadata', dbUrl, '--to-storage', storage, ...extra];
  const push = async (host: string, img: FixtureImage) => {
    await skopeoOk(['copy', '--all', '-q', '--dest-tls-verify=false', img.source, `docker://${refOf(host, img)}`]);
    pushed.push(img);
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-migrate-ha-'));
    fx = await makeFixtures(join(work, 'fixtures'), { smallCount: 2 });
    stores = await createSharedStores();
    ({ dbUrl, storage } = stores);
    source = await startAirlockProcess({ dataDir: dataDir(), args: ['--no-auth', '--no-gc'] });
    for (const ref of ['big-v1', 'multi-v1', 'dockerlist-v1', 'tagless-v1', 'small-00-v1', 'docker-v1']) await push(source.hostPort, fx.images.find((i) => i.ref === ref)!);
  });
  after(async () => {
    await Promise.all([source?.stop(), ha?.stop()]);
    await stores?.remove();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('killed with SIGKILL mid-copy, re-run while the source serves and takes a push, then once more after writes stop', async (t) => {
    // Run 1: one blob at a time, killed as soon as the first blob is copied and verified.
    const child = spawn(process.execPath, [...airlockCliArgs(), ...migrateArgs('--concurrency', '1')], { cwd: repoRoot(), env: childEnv(awsEnv(env!)), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const killed = new Promise<NodeJS.Signals | null>((res) => child.once('close', (_c, sig) => res(sig)));
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      if (/^blob \d+\/\d+ sha256:[0-9a-f]{64} .* copied$/m.test(stderr)) child.kill('SIGKILL');
    });
    assert.equal(await killed, 'SIGKILL', `the first run was killed mid-run:\n${stderr}`);
    const firstCopied = [...stderr.matchAll(/^blob \d+\/\d+ (sha256:[0-9a-f]{64}) .* copied$/gm)].length;
    assert.ok(firstCopied >= 1);

    // The source keeps serving reads, and takes a push between the runs.
    const multi = fx.images.find((i) => i.ref === 'multi-v1')!;
    assert.equal(sha(Buffer.from(await (await fetch(`${source!.url}/v2/${multi.repo}/manifests/${multi.digest}`, { headers: { accept: ACCEPT } })).arrayBuffer())), multi.digest);
    await push(source!.hostPort, fx.images.find((i) => i.ref === 'small-01-v1')!);

    // Run 2: finishes, trusting what run 1 verified.
    const r2 = await runAirlockCli(migrateArgs('-o', 'json'), { env: awsEnv(env!), timeoutMs: 300_000 });
    assert.equal(r2.code, 0, r2.stderr);
    const rep2 = JSON.parse(r2.stdout) as Report;
    assert.ok(rep2.blobs.trusted + rep2.blobs.reverified >= firstCopied, `run 2 skips what run 1 verified: ${r2.stdout}`);
    assert.equal(rep2.blobs.trusted + rep2.blobs.reverified + rep2.blobs.copied, rep2.blobs.total);
    t.diagnostic(`run 1 killed after ${firstCopied} verified blobs; run 2: ${JSON.stringify(rep2.blobs)}, ${JSON.stringify(rep2.manifests)}, passes ${rep2.passes}`);
    assert.deepEqual(rep2.blobs.missingAtSource, []);
    assert.deepEqual(rep2.manifests.skipped, []);
    assert.equal(rep2.accounts.source, false, 'the source ran without authentication: no accounts');
    assert.ok(!r2.stdout.includes(new URL(dbUrl).password), 'the password is never printed');

    // Final pass: writes stopped, nothing left to copy but the run log the source holds.
    await source!.stop();
    source = undefined;
    const runLogged = new SqliteMetadataStore(join(dataDir(), 'metadata.db'));
    for (let i = 0; i < 3; i++) {
      await runLogged.runLog.addMirrorRun({
        command: 'image mirror', startedAt: 1_700_000_000_000 + i, finishedAt: 1_700_000_000_500 + i, dryRun: false, repositories: ['mirror/app'],
        images: i + 1, bytes: 10, blobsTransferred: 1, blobsMounted: 0, blobsPresent: 0, missingCount: 0, missing: [], failedCount: 0, failed: [],
      }, 'admin', 1_700_000_001_000 + i);
    }
    await runLogged.runLog.addGcRun({ finishedAt: 1_700_000_002_000, durationMs: 5, manifests: 1, blobs: 2, uploads: 0, bytes: 300, strayFiles: 0, missingFiles: 0 });
    await runLogged.close();
    const r3 = await runAirlockCli(migrateArgs(), { env: awsEnv(env!), timeoutMs: 300_000 });
    assert.equal(r3.code, 0, r3.stderr);
    assert.match(r3.stdout, /^run log: 3 mirror runs \(3 copied, 0 already there\), 1 GC runs \(1 copied, 0 already there\)$/m);
    const r4 = await runAirlockCli(migrateArgs(), { env: awsEnv(env!), timeoutMs: 300_000 });
    assert.equal(r4.code, 0, r4.stderr);
    assert.match(r4.stdout, /^run log: 3 mirror runs \(0 copied, 3 already there\), 1 GC runs \(0 copied, 1 already there\)$/m);
    const c = new pg.Client({ connectionString: dbUrl });
    await c.connect();
    try {
      const rows = (await c.query<{ received_at: number; sent_by: string }>('SELECT received_at::float8 AS received_at, sent_by FROM mirror_runs ORDER BY id')).rows;
      assert.deepEqual(rows.map((r) => [Number(r.received_at), r.sent_by]), [0, 1, 2].map((i) => [1_700_000_001_000 + i, 'admin']), 'every run once, in order');
      assert.equal((await c.query<{ n: number }>('SELECT count(*)::int AS n FROM gc_runs')).rows[0]!.n, 1);
    } finally {
      await c.end();
    }
    assert.match(r3.stdout, /blobs: (\d+) \(0 copied, 0B; 0 already there and re-verified; \1 already verified\)/);
    assert.match(r3.stdout, /manifests: (\d+) \(0 written, \1 already there\)/);
    assert.match(r3.stdout, /^accounts: none at the source/m);
    assert.doesNotMatch(r3.stdout, /source changed/);
  });

  it('airlock serve on PostgreSQL + S3 serves every manifest and blob of the source, verified by digest; skopeo pulls', async () => {
    ha = await startAirlockProcess({ args: ['--no-auth', '--no-gc', '--metadata', dbUrl, '--storage', storage], env: awsEnv(env!) });
    const src = new SourceDatabase(join(dataDir(), 'metadata.db'));
    const snap = src.snapshot();
    try {
      assert.ok(snap.manifests.length >= pushed.length);
      for (const m of snap.manifests) {
        const res = await fetch(`${ha.url}/v2/${m.repo}/manifests/${m.digest}`, { headers: { accept: ACCEPT } });
        assert.equal(res.status, 200, `${m.repo}@${m.digest}`);
        const body = Buffer.from(await res.arrayBuffer());
        assert.equal(sha(body), m.digest);
        assert.ok(body.equals(src.manifestContent(m.digest)!), 'bytes verbatim');
        for (const t of m.tags) assert.equal((await fetch(`${ha.url}/v2/${m.repo}/manifests/${t}`, { method: 'HEAD', headers: { accept: ACCEPT } })).headers.get('docker-content-digest'), m.digest);
      }
      for (const b of snap.blobs) {
        for (const repo of b.repos) {
          const res = await fetch(`${ha.url}/v2/${repo}/blobs/${b.digest}`);
          const bytes: Buffer = Buffer.from(await res.arrayBuffer());
          assert.equal(sha(bytes), b.digest, `${repo}@${b.digest}`);
          assert.equal(bytes.length, b.size);
        }
      }
    } finally {
      src.close();
    }
    for (const img of pushed) {
      const raw = await skopeoOk(['inspect', '--raw', '--tls-verify=false', `docker://${refOf(ha.hostPort, img)}`]);
      assert.equal(sha(raw.stdoutBytes), img.digest, img.ref);
      await skopeoOk(['copy', '--all', '-q', '--src-tls-verify=false', `docker://${refOf(ha.hostPort, img)}`, `oci:${join(work, 'pulled')}:${img.ref}`]);
    }
  });

  it('a bucket that does not exist is one line', async () => {
    const url = storage.replace(/^s3:\/\/[^/]+/, 's3://airlock-no-such-bucket');
    const r = await runAirlockCli(['migrate', '--data-dir', dataDir(), '--to-metadata', dbUrl, '--to-storage', url], { env: awsEnv(env!) });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: --to-storage: S3 bucket "airlock-no-such-bucket" does not exist at .*: create it first\n$/);
  });
});
