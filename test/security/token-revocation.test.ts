/**
 * Regression tests of the adversarial review (issue 9, findings 1, 2 and 8),
 * run as an attacker would against `airlock serve` on 127.0.0.1, with the
 * CLI changing accounts while the server runs:
 *   1. tokens of a removed account never come back when an account of the
 *      same name is created again (access and refresh tokens);
 *   8. refresh tokens are single use; replaying a used one revokes the family;
 *   2. the login limit holds when the guesses arrive at the same instant over
 *      pre-opened connections, and one shared address does not lock out
 *      other users.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, startServe, type ServeProcess } from './support/cli.js';
import { basic, bearer, decodeJwt, SecureClient, type TokenBody } from './support/secure-client.js';

describe('token revocation and login limits under attack', { timeout: 180_000 }, () => {
  let dir: string;
  let data: string;
  let srv: ServeProcess;
  let c: SecureClient;
  let adminPassword: string;
  const dd = (): string[] => ['--data-dir', data];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-revoke-'));
    data = join(dir, 'data');
    srv = await startServe(['--data-dir', data]);
    adminPassword = srv.output().match(/store it now:\n {4}(\S+)\n/)![1]!;
    c = new SecureClient(srv.url, join(data, 'tls', 'ca.crt'));
    const admin = basic('admin', adminPassword);
    assert.equal((await c.pushImage('a/app', 'v1', admin)).status, 201);
    assert.equal((await c.pushImage('secret/db', 'v1', admin)).status, 201);
  });
  after(async () => {
    await c?.close();
    await srv?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const robotToken = (stdout: string): string => stdout.match(/token: {4}(\S+)/)![1]!;
  const offline = (user: string, password: string, scope: string): Promise<TokenBody> =>
    c.postToken({ grant_type: 'password', username: user, password, service: 'airlock', access_type: 'offline', scope }).then((r) => {
      assert.equal(r.status, 200, r.text());
      return r.json<TokenBody>();
    });
  const refresh = (rt: string, scope: string): Promise<{ status: number; body: TokenBody | undefined }> =>
    c.postToken({ grant_type: 'refresh_token', refresh_token: rt, service: 'airlock', scope }).then((r) => ({ status: r.status, body: r.status === 200 ? r.json<TokenBody>() : undefined }));

  it('finding 1: a removed robot\'s tokens stay dead after a robot of the same name is made with other rights', async () => {
    const first = await runCli(['robot', 'add', 'ci', '--pull', 'a/**', ...dd()]);
    assert.equal(first.code, 0, first.stderr);
    const old = await offline('robot+ci', robotToken(first.stdout), 'repository:a/app:pull');
    assert.equal((await c.request('GET', '/v2/a/app/manifests/v1', { headers: { authorization: bearer(old.access_token) } })).status, 200, 'control: the token works');
    assert.equal((await runCli(['robot', 'rm', 'ci', ...dd()])).code, 0);
    const second = await runCli(['robot', 'add', 'ci', '--push', 'secret/**', ...dd()]);
    assert.equal(second.code, 0, second.stderr);

    const revived = await refresh(old.refresh_token!, 'repository:secret/db:pull,push');
    assert.equal(revived.status, 401, 'the old refresh token gets nothing from the new robot+ci');
    const oldAccess = await c.request('GET', '/v2/a/app/manifests/v1', { headers: { authorization: bearer(old.access_token) } });
    assert.equal(oldAccess.status, 401, 'the old access token is dead too');
    // Hand the old access token's claims the new robot's rights by asking for them: still refused.
    assert.equal((await c.request('GET', '/v2/secret/db/manifests/v1', { headers: { authorization: bearer(old.access_token) } })).status, 401);

    const fresh = await offline('robot+ci', robotToken(second.stdout), 'repository:secret/db:pull,push');
    assert.deepEqual(decodeJwt(fresh.access_token).payload.access, [{ type: 'repository', name: 'secret/db', actions: ['pull', 'push'] }]);
    assert.notEqual(decodeJwt(fresh.access_token).payload.uid, decodeJwt(old.access_token).payload.uid, 'a new identity');
    assert.equal((await c.request('GET', '/v2/secret/db/manifests/v1', { headers: { authorization: bearer(fresh.access_token) } })).status, 200, 'control: the new robot works');
  });

  it('finding 1: a password change, a rotation and a removal revoke access and refresh tokens alike', async () => {
    assert.equal((await runCli(['user', 'add', 'dana', '--pull', 'a/**', ...dd()], { stdin: 'dana-password-1\n' })).code, 0);
    const before = await offline('dana', 'dana-password-1', 'repository:a/app:pull');
    assert.equal((await runCli(['user', 'passwd', 'dana', ...dd()], { stdin: 'dana-password-2\n' })).code, 0);
    assert.equal((await refresh(before.refresh_token!, 'repository:a/app:pull')).status, 401, 'password change: refresh token revoked');
    assert.equal((await c.request('GET', '/v2/a/app/manifests/v1', { headers: { authorization: bearer(before.access_token) } })).status, 401, 'password change: access token revoked');

    const r = await runCli(['robot', 'add', 'rot', '--pull', 'a/**', ...dd()]);
    const t = await offline('robot+rot', robotToken(r.stdout), 'repository:a/app:pull');
    assert.equal((await runCli(['robot', 'rotate', 'rot', ...dd()])).code, 0);
    assert.equal((await refresh(t.refresh_token!, 'repository:a/app:pull')).status, 401, 'rotation: refresh token revoked');
    assert.equal((await c.request('GET', '/v2/a/app/manifests/v1', { headers: { authorization: bearer(t.access_token) } })).status, 401, 'rotation: access token revoked');
  });

  it('finding 8: a refresh token is single use; replaying a spent one revokes the whole family', async () => {
    const r = await runCli(['robot', 'add', 'fam', '--pull', 'a/**', ...dd()]);
    const scope = 'repository:a/app:pull';
    const rt0 = (await offline('robot+fam', robotToken(r.stdout), scope)).refresh_token!;
    const one = await refresh(rt0, scope);
    assert.equal(one.status, 200);
    const rt1 = one.body!.refresh_token!;
    assert.ok(rt1 && rt1 !== rt0, 'rotated');
    assert.equal((await refresh(rt0, scope)).status, 401, 'rt0 is spent');
    assert.equal((await refresh(rt1, scope)).status, 401, 'the replay of rt0 revoked rt1, its descendant');

    // A new login starts a new family; 8 racing uses of one token: at most one gets an answer (none when a
    // replay revoked the family before the winner's new token was recorded), and whatever it got is dead.
    const rtA = (await offline('robot+fam', robotToken(r.stdout), scope)).refresh_token!;
    const race = await Promise.all(Array.from({ length: 8 }, () => refresh(rtA, scope)));
    const statuses = race.map((x) => x.status).join(',');
    assert.ok(race.filter((x) => x.status === 200).length <= 1, statuses);
    assert.ok(race.filter((x) => x.status === 401).length >= 7, statuses);
    const winner = race.find((x) => x.status === 200)?.body?.refresh_token;
    if (winner !== undefined) assert.equal((await refresh(winner, scope)).status, 401, 'the racing replays revoked the family');
    const rtB = (await offline('robot+fam', robotToken(r.stdout), scope)).refresh_token!;
    assert.equal((await refresh(rtB, scope)).status, 200, 'a fresh login is a new family, not revoked');
  });

  it('finding 2: 200 wrong passwords at the same instant over pre-opened connections: at most the limit is checked, and the right one is refused too', async () => {
    await runCli(['user', 'add', 'victim', '--pull', 'a/**', ...dd()], { stdin: 'victim-password\n' });
    const clients = Array.from({ length: 20 }, () => new SecureClient(srv.url, join(data, 'tls', 'ca.crt')));
    try {
      // Pre-open every connection so the 200 requests leave together.
      await Promise.all(clients.map((k) => k.request('GET', '/v2/')));
      const guesses = Array.from({ length: 200 }, (_, i) => (i === 150 ? 'victim-password' : `guess-${i}`));
      const res = await Promise.all(guesses.map((g, i) => clients[i % clients.length]!.request('GET', '/token?service=airlock', { headers: { authorization: basic('victim', g) } })));
      const statuses = res.map((x) => x.status);
      const checked = statuses.filter((s) => s === 401 || s === 200).length;
      assert.ok(checked <= 10, `at most 10 (the limit) were compared; got ${checked} (${statuses.filter((s) => s === 401).length} × 401)`);
      assert.equal(statuses.filter((s) => s === 429).length + checked, 200);
      assert.notEqual(statuses[150], 200, 'the right guess in the burst is not accepted');
      for (const x of res.filter((r) => r.status === 429)) assert.match(String(x.headers['retry-after']), /^\d+$/);
      // Still blocked for victim from this address, even with the right password…
      assert.equal((await c.request('GET', '/token?service=airlock', { headers: { authorization: basic('victim', 'victim-password') } })).status, 429);
      // …but the admin behind the same address logs in.
      assert.equal((await c.request('GET', '/token?service=airlock', { headers: { authorization: basic('admin', adminPassword) } })).status, 200, 'one address does not lock out every user');
    } finally {
      await Promise.all(clients.map((k) => k.close()));
    }
  });
});
