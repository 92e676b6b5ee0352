/**
 * `airlock migrate` carries accounts: a user and a pull-only robot created
 * on an embedded install log in through `airlock serve --metadata
 * postgres://…` after the migration; the robot still cannot push; a re-run
 * finds them already there.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runAirlockCli, startAirlockProcess, type AirlockProcess } from '../helpers/airlock-process.js';
import { pgGate } from '../helpers/pg.js';
import { awsEnv, s3Gate, s3TestEnv } from '../helpers/s3.js';
import { createSharedStores, type SharedStores } from '../helpers/shared-stores.js';

const gates = [pgGate(), s3Gate()];
const failure = gates.map((g) => g.failure).find((f) => f !== undefined);
const skip = gates.map((g) => g.skip).find((s) => s !== false) ?? false;
const env = s3TestEnv();
const PW = 'bob-embedded-password-1';
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

describe('airlock migrate: accounts', { skip }, () => {
  if (failure !== undefined) {
    it('has PostgreSQL and an S3 store', () => assert.fail(failure));
    return;
  }
  let work: string;
  let stores: SharedStores | undefined;
  let dbUrl: string;
  let storage: string;
  let ha: AirlockProcess | undefined;
  let robotToken = '';
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-migrate-accounts-'));
    stores = await createSharedStores();
    ({ dbUrl, storage } = stores);
    const dataDir = join(work, 'data');
    await mkdir(dataDir);
    const src = await startAirlockProcess({ dataDir, args: ['--auth', '--no-gc'] });
    await src.stop();
    assert.equal((await runAirlockCli(['user', 'add', 'bob', '--push', 'team/**', '--data-dir', dataDir], { stdin: `${PW}\n` })).code, 0);
    const robot = await runAirlockCli(['robot', 'add', 'ci', '--pull', 'team/**', '--data-dir', dataDir]);
    assert.equal(robot.code, 0, robot.stderr);
    robotToken = /token:\s+(\S+)/.exec(robot.stdout)![1]!;
  });
  after(async () => {
    await ha?.stop();
    await stores?.remove();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('migrates the user and the robot; they log in on the replica; the robot cannot push; a re-run changes nothing', async () => {
    const args = ['migrate', '--data-dir', join(work, 'data'), '--to-metadata', dbUrl, '--to-storage', storage];
    const r1 = await runAirlockCli(args, { env: awsEnv(env!), timeoutMs: 120_000 });
    assert.equal(r1.code, 0, r1.stdout + r1.stderr);
    assert.match(r1.stdout, /accounts: 3 \(3 added, 0 updated, 0 already there\)/);
    assert.ok(!r1.stdout.includes('$2'), 'no bcrypt hash printed');
    const r2 = await runAirlockCli(args, { env: awsEnv(env!), timeoutMs: 120_000 });
    assert.match(r2.stdout, /accounts: 3 \(0 added, 0 updated, 3 already there\)/);
    ha = await startAirlockProcess({ args: ['--auth', '--no-gc', '--metadata', dbUrl, '--storage', storage], env: awsEnv(env!) });
    assert.doesNotMatch(ha.stdout(), /Created account "admin"/, 'the migrated admin is there: no new one');
    const bob = await fetch(`${ha.url}/token?service=airlock&scope=repository:team/app:pull,push`, { headers: { authorization: basic('bob', PW) } });
    assert.equal(bob.status, 200);
    const robot = await fetch(`${ha.url}/token?service=airlock&scope=repository:team/app:pull,push`, { headers: { authorization: basic('robot+ci', robotToken) } });
    assert.equal(robot.status, 200);
    const { token } = (await robot.json()) as { token: string };
    assert.equal((await fetch(`${ha.url}/v2/team/app/tags/list`, { headers: { authorization: `Bearer ${token}` } })).status, 404, 'pull allowed (no such repository yet)');
    const push = await fetch(`${ha.url}/v2/team/app/blobs/uploads/`, { method: 'POST', headers: { authorization: basic('robot+ci', robotToken) } });
    assert.ok(push.status === 401 || push.status === 403, `the pull-only robot cannot push (got ${push.status})`);
  });
});
