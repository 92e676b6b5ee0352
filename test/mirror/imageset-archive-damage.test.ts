/**
 * A damaged archive set (a corrupt member, a truncated tar, a missing tar) is
 * found by `airlock archive verify` and refused by d2m, each naming the
 * damaged file (and member), before anything is pushed. And kill -9 during a
 * d2m: the re-run completes and opens upload sessions only for the blobs that
 * had not landed (counted by the destination's own /metrics).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, open, readFile, readdir, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { airlockCliArgs, childEnv } from '../helpers/airlock-process.js';
import { startGraphServer, type GraphServer } from '../helpers/graph-server.js';
import { startGateProxy, type GateProxy } from '../copy/support/gate-proxy.js';
import { uploadStarts } from '../copy/support/counts.js';
import { airlock, resolveTags } from '../release/support.js';
import { imageSetSide, type ImageSetSide } from './support/imageset-fixture.js';
import type { ArchiveIndex, ChecksumManifest } from '../../src/transports/archive/format.js';

async function readIndex(dir: string): Promise<ArchiveIndex> {
  return JSON.parse(await readFile(join(dir, 'mirror_index.json'), 'utf8')) as ArchiveIndex;
}

/** The archives and index of `from` copied to `to` (as carried on media: no working-dir). */
async function carry(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const f of await readdir(from)) if (/^mirror_/.test(f)) await copyFile(join(from, f), join(to, f));
}

describe('airlock mirror: damaged archive sets and kill -9 during disk to mirror', () => {
  let work: string;
  let up: AirlockHandle;
  let far: AirlockHandle;
  let graph: GraphServer;
  let gate: GateProxy;
  let side: ImageSetSide;
  let A: string;
  const dst = ['--dest-tls-verify=false', '--no-progress'];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-imageset-damage-'));
    [up, far] = await Promise.all([startAirlock(), startAirlock()]);
    graph = await startGraphServer();
    gate = await startGateProxy({ upstream: far.url });
    side = await imageSetSide(up, graph, work);
    A = join(work, 'A');
    const r = await airlock(['mirror', '-c', side.isc, `file://${A}`, '--archive-size-bytes', String(128 * 1024), '--src-tls-verify=false', '--graph-url', graph.url, '--no-progress'], work);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await gate?.close();
    await Promise.all([up?.close(), far?.close(), graph?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('a corrupt member, a truncated tar and a missing tar: verify names them, d2m refuses naming them and pushes nothing', async () => {
    const ix = await readIndex(A);
    assert.ok(ix.archives.length >= 3, 'the set spans several tars');
    // corrupt: one byte of the first blob member of mirror_000002.tar
    const second = ix.archives[1]!;
    const fh = await open(join(A, second.file), 'r');
    const cbuf = Buffer.alloc(second.checksums.size);
    await fh.read(cbuf, 0, cbuf.length, second.checksums.offset);
    await fh.close();
    const victim = (JSON.parse(cbuf.toString('utf8')) as ChecksumManifest).members.find((m) => m.size > 0 && m.name.startsWith('docker/registry/v2/blobs/'))!;
    const cases: { name: string; damage: (dir: string) => Promise<void>; want: RegExp }[] = [
      {
        name: 'corrupt',
        damage: async (dir) => {
          const w = await open(join(dir, second.file), 'r+');
          const b = Buffer.alloc(1);
          await w.read(b, 0, 1, victim.offset);
          b[0] = b[0]! ^ 0xff;
          await w.write(b, 0, 1, victim.offset);
          await w.close();
        },
        want: new RegExp(`mirror_000002\\.tar: member ${victim.name.replace(/\//g, '\\/')}: content does not match its checksum`),
      },
      { name: 'truncated', damage: (dir) => truncate(join(dir, 'mirror_000003.tar'), ix.archives[2]!.size - 1000), want: /mirror_000003\.tar: truncated: \d+ of \d+ bytes/ },
      { name: 'missing', damage: (dir) => rm(join(dir, 'mirror_000001.tar')), want: /mirror_000001\.tar: missing/ },
    ];
    for (const c of cases) {
      const dir = join(work, `damaged-${c.name}`);
      await carry(A, dir);
      await c.damage(dir);
      const v = await airlock(['archive', 'verify', dir], work);
      assert.equal(v.code, 1, `${c.name}: ${v.stdout}${v.stderr}`);
      assert.match(v.stderr, c.want, c.name);
      const sessions = await uploadStarts(far.url);
      const d = await airlock(['mirror', '-c', side.isc, '--from', `file://${dir}`, `docker://${far.hostPort}/${c.name}`, ...dst], work);
      assert.equal(d.code, 1, `${c.name}: ${d.stderr}`);
      assert.match(d.stderr, new RegExp(`^error: ${c.want.source}.*the archive set is damaged`, 'm'), `${c.name}: ${d.stderr}`);
      assert.ok(!d.stderr.includes('    at '), 'no stack trace');
      assert.equal(await uploadStarts(far.url), sessions, `${c.name}: nothing was pushed (not even the pre-check ran)`);
    }
  });

  it('kill -9 during d2m, then a re-run completes without re-sending finished blobs', async () => {
    const ix = await readIndex(A);
    const blobs = Object.keys(ix.blobs).filter((d) => ix.manifests[d] === undefined);
    // The engine goes one image and one blob at a time: stall the upload of a blob of the last image (additional).
    const app = JSON.parse((await (await fetch(`${up.url}/v2/extra/tools/app/manifests/v1`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' } })).text())) as { layers: { digest: string }[] };
    const stalled = app.layers.at(-1)!.digest;
    assert.ok(blobs.includes(stalled));
    // A small blob goes up in one POST ?digest= (airlock serve takes it), a larger one as POST + PUT: stall whichever carries it.
    let stalledBy = '';
    gate.faults.push({
      match: (m, p) => {
        const hit = (m === 'PUT' || m === 'POST') && decodeURIComponent(p).includes(stalled);
        if (hit) stalledBy = m;
        return hit;
      },
      action: 'stall',
      times: 1,
    });
    const args = ['mirror', '-c', side.isc, '--from', `file://${A}`, '--parallel-images', '1', '--parallel-layers', '1', ...dst];
    const base = await uploadStarts(far.url);
    const child = spawn(process.execPath, [...airlockCliArgs(), ...args, `docker://${gate.hostPort}/ocp`], { env: childEnv({ HOME: work }), stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const exited = new Promise<string | null>((r) => child.on('close', (_c, signal) => r(signal)));
    const end = Date.now() + 180_000;
    while (gate.faults[0]!.times !== 0) {
      if (Date.now() > end) throw new Error(`the stalled upload never came: ${err}`);
      await sleep(25);
    }
    await sleep(200);
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    // Upload starts of the killed run: the pre-check's session, one per finished blob and, when the PUT
    // of a session was stalled, that session (a stalled monolithic POST never reached the registry).
    const finished = (await uploadStarts(far.url)) - base - 1 - (stalledBy === 'PUT' ? 1 : 0);
    assert.ok(finished > 0 && finished < blobs.length, `${finished} of ${blobs.length} blobs landed before the kill`);
    assert.deepEqual(await resolveTags(far.hostPort, 'ocp/extra/tools/app', ['v1']), [undefined], 'the interrupted image is not visible');

    const before2 = await uploadStarts(far.url);
    const r = await airlock([...args, `docker://${far.hostPort}/ocp`], work);
    assert.equal(r.code, 0, r.stderr);
    const resent = (await uploadStarts(far.url)) - before2 - 1;
    assert.equal(resent, blobs.length - finished, `the re-run sends only the ${blobs.length - finished} blobs that had not landed`);
    assert.deepEqual(await resolveTags(far.hostPort, 'ocp/extra/tools/app', ['v1']), [side.appDigest]);
    const rel = side.releases[0]!;
    assert.deepEqual(await resolveTags(far.hostPort, 'ocp/openshift/release', rel.components.map((c) => `4.18.2-x86_64-${c.name}`)), rel.components.map((c) => c.digest));
    for (const [repo, x] of Object.entries(ix.repositories)) for (const d of x.manifests) assert.deepEqual(await resolveTags(far.hostPort, `ocp/${repo}`, [d]), [d], `${repo}@${d}`);
  });
});
