/**
 * kill -9 in the middle of a d2m, then run it again: the re-run completes and
 * sends only the blob that was in flight (counted by the registry's own
 * upload sessions, /metrics), every other blob is found by a HEAD; no partial
 * blob was ever visible.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { childEnv } from '../helpers/airlock-process.js';
import { checkImageTree, headBlob, headManifest } from '../interop/support/registry-api.js';
import { startGateProxy, type GateProxy } from '../copy/support/gate-proxy.js';
import { uniqueBlobs, uploadStarts } from '../copy/support/counts.js';
import { packImages, seedRegistry, type Carried } from './support/archive-fixture.js';

async function until(what: string, cond: () => Promise<boolean>, limitMs = 120_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await sleep(25);
  }
}

/** The child script next to this file (.ts under tsx, .js when built). */
function childArgs(...args: string[]): string[] {
  const self = fileURLToPath(import.meta.url);
  const ts = self.endsWith('.ts');
  const script = join(self, '..', 'support', ts ? 'd2m-child.ts' : 'd2m-child.js');
  return [...(ts ? ['--import', 'tsx'] : []), script, ...args];
}

describe('d2m resume', () => {
  let work: string;
  let src: AirlockHandle;
  let dst: AirlockHandle;
  let gate: GateProxy;
  let carried: Carried;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-archive-resume-'));
    [src, dst] = await Promise.all([startAirlock(), startAirlock()]);
    gate = await startGateProxy({ upstream: dst.url });
    carried = await seedRegistry(join(work, 'fixtures'), src.hostPort, ['multi-v1']);
  });

  after(async () => {
    await gate?.close();
    await Promise.all([src?.close(), dst?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('re-running after SIGKILL completes without re-sending finished blobs', async () => {
    const dir = join(work, 'set');
    const { index } = await packImages(src.hostPort, carried.images, dir, { archiveSize: 4 * 1024 * 1024 });
    assert.ok(index.archives.length >= 3, 'the set spans several tars');
    const multi = carried.images[0]!;
    const repo = multi.repo;
    const blobs = [...(await uniqueBlobs(carried.fx.layout, [multi.digest]))].sort();
    // The last platform's config: the engine sends it after that image's layers, so every other blob lands first.
    const stalled = multi.children!.map((c) => c.configDigest).at(-1)!;
    const done = blobs.filter((b) => b !== stalled);
    // A config is small: it goes up in one monolithic POST ?digest= (a larger blob would be the PUT of a session).
    gate.faults.push({ match: (m, p) => (m === 'PUT' || m === 'POST') && decodeURIComponent(p).includes(stalled), action: 'stall', times: 1 });

    const child = spawn(process.execPath, childArgs(dir, gate.hostPort), { env: childEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    let childErr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (childErr += d));
    const exited = new Promise<number | null>((r) => child.on('close', (code, signal) => r(signal === 'SIGKILL' ? -1 : code)));
    await until(`the stalled upload and the other blobs (${childErr})`, async () => gate.faults[0]!.times === 0 && (await Promise.all(done.map((d) => headBlob(dst.url, repo, d)))).every((h) => h.status === 200));
    child.kill('SIGKILL');
    assert.equal(await exited, -1, childErr);
    assert.equal((await headBlob(dst.url, repo, stalled)).status, 404, 'no partial blob is visible');
    assert.equal((await headManifest(dst.url, repo, 'v1')).status, 404);

    const before = await uploadStarts(dst.url);
    const rerun = spawn(process.execPath, childArgs(dir, dst.hostPort), { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    rerun.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    rerun.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const code = await new Promise<number | null>((r) => rerun.on('close', r));
    assert.equal(code, 0, `${out}\n${err}`);
    const doc = JSON.parse(out) as { actions: Record<string, number>; errors: unknown[] };
    assert.deepEqual(doc.errors, []);
    assert.deepEqual(doc.actions, { uploaded: 1, mounted: 0, exists: done.length, deduped: 0 }, 'only the interrupted blob crosses again; the rest answer a HEAD');
    assert.equal((await uploadStarts(dst.url)) - before, 1, 'the registry started one upload in the re-run');
    assert.equal((await headManifest(dst.url, repo, 'v1')).digest, multi.digest);
    assert.deepEqual(await checkImageTree(dst.url, repo, multi.digest), []);
  });
});
