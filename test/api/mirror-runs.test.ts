/**
 * Mirror run reports on the JSON API of a TLS + auth airlock: POST needs
 * push on every repository the report names (a pull-only robot gets 403, a
 * push robot limited to one namespace cannot report into another), GET lists
 * newest first with paging and shows a pull-only account only runs into
 * repositories it may pull; reports and GC history survive a restart
 * (the run log in metadata.db), and an offline `airlock gc` joins the history.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { runAirlockCli } from '../helpers/airlock-process.js';
import { SecureClient, basic } from '../security/support/secure-client.js';

const report = (repositories: string[], extra: Record<string, unknown> = {}) => ({
  command: 'image mirror',
  startedAt: 1_733_100_000_000,
  finishedAt: 1_733_100_004_500,
  dryRun: false,
  repositories,
  images: 3,
  bytes: 12345,
  blobsTransferred: 4,
  blobsMounted: 1,
  blobsPresent: 2,
  missingCount: 1,
  missing: ['quay.io/x/y:gone'],
  failedCount: 0,
  failed: [],
  ...extra,
});

describe('mirror runs API', () => {
  let dataDir: string;
  let reg: AirlockHandle;
  let c: SecureClient;
  let admin: string;
  let pusher: string;
  let puller: string;

  const post = (auth: string, body: unknown) => c.request('POST', '/api/v1/mirror-runs', { headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const list = async (auth: string, q = '') => {
    const r = await c.request('GET', `/api/v1/mirror-runs${q}`, { headers: { authorization: auth } });
    assert.equal(r.status, 200, r.text());
    return r.json<{ runs: { id: number; repositories: string[]; sentBy: string; bytes: number }[]; next: string | null }>();
  };

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'airlock-runs-'));
    reg = await startAirlock({ auth: 'token', dataDir, config: { gc: { enabled: false } } });
    c = new SecureClient(reg.url, reg.security!.caCertPath);
    admin = basic('admin', reg.security!.adminPassword);
    const p = await reg.security!.addRobot('mirror', { pull: ['ocp4/**'], push: ['ocp4/**'] });
    pusher = basic(p.username, p.token);
    const q = await reg.security!.addRobot('cluster', { pull: ['ocp4/**'] });
    puller = basic(q.username, q.token);
  });
  after(async () => {
    await c?.close();
    await reg?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('takes a report from an account that may push to its repositories, and only then', async () => {
    const ok = await post(pusher, report(['ocp4/openshift/release', 'ocp4/tools']));
    assert.equal(ok.status, 201, ok.text());
    assert.equal(typeof ok.json<{ id: number }>().id, 'number');
    assert.equal((await post(puller, report(['ocp4/tools']))).status, 403, 'pull-only cannot report');
    assert.equal((await post(pusher, report(['ocp4/tools', 'other/app']))).status, 403, 'push on every named repository');
    const anon = await c.request('POST', '/api/v1/mirror-runs', { headers: { 'content-type': 'application/json' }, body: JSON.stringify(report(['ocp4/tools'])) });
    assert.equal(anon.status, 401);
    const bad = await post(pusher, report(['ocp4/tools'], { images: -1 }));
    assert.equal(bad.status, 400);
    assert.match(bad.text(), /invalid mirror run report: images/);
    assert.equal((await post(pusher, report(['Not A Repo']))).status, 400);
    assert.equal((await post(pusher, { ...report(['ocp4/tools']), extra: 1 })).status, 400, 'unknown fields refused');
    assert.equal((await post(admin, report(['other/app'], { bytes: 99 }))).status, 201);
  });

  it('lists newest first; a pull-only account sees only runs into what it may pull', async () => {
    const all = await list(admin);
    assert.deepEqual(all.runs.map((r) => r.repositories), [['other/app'], ['ocp4/openshift/release', 'ocp4/tools']]);
    assert.deepEqual(all.runs.map((r) => r.sentBy), ['admin', 'robot+mirror']);
    const mine = await list(puller);
    assert.deepEqual(mine.runs.map((r) => r.repositories), [['ocp4/openshift/release', 'ocp4/tools']]);
    const page1 = await list(admin, '?limit=1');
    assert.equal(page1.runs.length, 1);
    assert.ok(page1.next);
    const page2 = await list(admin, `?limit=1&cursor=${page1.next}`);
    assert.deepEqual(page2.runs.map((r) => r.bytes), [12345]);
    assert.equal(page2.next, null);
    assert.equal((await c.request('GET', '/api/v1/mirror-runs?cursor=abc', { headers: { authorization: admin } })).status, 400);
  });

  it('keeps mirror runs and GC history across a restart', async () => {
    await reg.registry.gc.run();
    const before = (await c.request('GET', '/api/v1/storage', { headers: { authorization: admin } })).json<{ gcRuns: unknown[] }>().gcRuns;
    assert.equal(before.length, 1);
    await c.close();
    await reg.registry.close();
    // An offline `airlock gc` joins the same history.
    const offline = await runAirlockCli(['gc', '--data-dir', dataDir, '-o', 'json']);
    assert.equal(offline.code, 0, offline.stderr);
    const { startRegistry } = await import('../../src/server/start.js');
    const again = await startRegistry({ logLevel: 'silent', listen: '127.0.0.1:0', dataDir, insecureHttp: false, auth: { enabled: true }, gc: { enabled: false } });
    try {
      c = new SecureClient(`https://127.0.0.1:${again.port}`, reg.security!.caCertPath);
      assert.equal((await list(admin)).runs.length, 2);
      const gcRuns = (await c.request('GET', '/api/v1/storage', { headers: { authorization: admin } })).json<{ gcRuns: unknown[] }>().gcRuns;
      assert.equal(gcRuns.length, 2, 'the online run and the offline one');
      assert.deepEqual(gcRuns[1], before[0]);
    } finally {
      await again.close();
    }
  });
});
