/**
 * Console sessions on the JSON API over TLS with accounts: the cookie's
 * flags, CSRF on state-changing requests (robot creation), what a pull-only
 * session may reach, logout, a password change ending the session, and the
 * idle expiry (SessionStore with explicit clocks: no timing in the verdict).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hashSecret } from '../../src/auth/passwords.js';
import { SessionStore } from '../../src/auth/sessions.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { SecureClient, basic, type Res } from '../security/support/secure-client.js';

describe('console sessions', () => {
  let reg: AirlockHandle;
  let c: SecureClient;

  const req = (method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<Res> =>
    c.request(method, path, { headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

  async function login(username: string, password: string): Promise<{ cookie: string; csrf: string; res: Res }> {
    const res = await req('POST', '/api/v1/session', {}, { username, password });
    const set = String(res.headers['set-cookie'] ?? '');
    return { cookie: set.split(';')[0]!, csrf: res.status === 201 ? res.json<{ csrfToken: string }>().csrfToken : '', res };
  }

  before(async () => {
    reg = await startAirlock({ auth: 'token' });
    c = new SecureClient(reg.url, reg.security!.caCertPath);
    await reg.security!.addUser('reader', 'reader-password', { pull: ['team-a/**'] });
    const admin = basic('admin', reg.security!.adminPassword);
    for (const repo of ['team-a/app', 'team-b/secret']) assert.equal((await c.pushImage(repo, 'v1', admin)).status, 201);
  });
  after(async () => {
    await c?.close();
    await reg?.close();
  });

  it('logs in with the registry accounts and sets a HttpOnly, Secure, SameSite=Strict cookie', async () => {
    const bad = await login('reader', 'wrong-password');
    assert.equal(bad.res.status, 401);
    assert.equal(bad.res.headers['set-cookie'], undefined);
    const { res, cookie } = await login('reader', 'reader-password');
    assert.equal(res.status, 201, res.text());
    const set = String(res.headers['set-cookie']);
    for (const flag of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/']) assert.ok(set.split('; ').includes(flag), `${flag} in ${set}`);
    assert.match(cookie, /^airlock_session=[A-Za-z0-9_-]{43}$/);
    const me = await req('GET', '/api/v1/me', { cookie });
    assert.deepEqual(me.json(), { name: 'reader', admin: false });
    const repos = await req('GET', '/api/v1/repositories', { cookie });
    assert.deepEqual(repos.json<{ repositories: { name: string }[] }>().repositories.map((r) => r.name), ['team-a/app']);
    assert.equal((await req('GET', '/api/v1/repositories/team-b/secret/tags', { cookie })).status, 403);
    assert.equal((await req('GET', '/api/v1/storage', { cookie })).status, 403, 'a pull-only session cannot reach admin parts');
    assert.equal((await req('GET', '/api/v1/robots', { cookie })).status, 403);
  });

  it('refuses robot creation without the CSRF token, accepts it with the token', async () => {
    const { cookie, csrf } = await login('admin', reg.security!.adminPassword);
    const store = reg.registry.auth!.store;
    const none = await req('POST', '/api/v1/robots', { cookie }, { name: 'csrf-none', pull: ['**'] });
    assert.equal(none.status, 403);
    assert.match(none.text(), /X-CSRF-Token/);
    const wrong = await req('POST', '/api/v1/robots', { cookie, 'x-csrf-token': `${csrf.slice(0, -1)}A` }, { name: 'csrf-wrong', pull: ['**'] });
    assert.equal(wrong.status, 403);
    assert.equal(await store.get('robot+csrf-none'), undefined);
    assert.equal(await store.get('robot+csrf-wrong'), undefined);
    const ok = await req('POST', '/api/v1/robots', { cookie, 'x-csrf-token': csrf }, { name: 'csrf-ok', pull: ['team-a/**'] });
    assert.equal(ok.status, 201, ok.text());
    assert.ok(await store.get('robot+csrf-ok'));
    // Logout needs the token as well; afterwards the cookie is dead.
    assert.equal((await req('DELETE', '/api/v1/session', { cookie })).status, 403);
    assert.equal((await req('DELETE', '/api/v1/session', { cookie, 'x-csrf-token': csrf })).status, 204);
    assert.equal((await req('GET', '/api/v1/me', { cookie })).status, 401);
  });

  it('ends a session when its password changes', async () => {
    await reg.security!.addUser('changer', 'changer-password', { pull: ['team-a/**'] });
    const { cookie } = await login('changer', 'changer-password');
    assert.equal((await req('GET', '/api/v1/me', { cookie })).status, 200);
    await reg.registry.auth!.store.setSecret('changer', await hashSecret('another-password'));
    const after = await req('GET', '/api/v1/me', { cookie });
    assert.equal(after.status, 401);
    assert.match(after.text(), /log in again/);
  });

  it('expires a session after the idle time, and a request keeps it alive', async () => {
    const accounts = reg.registry.auth!.store;
    const sessions = new SessionStore(accounts, 60_000);
    const t0 = Date.now();
    const a = await sessions.create((await accounts.get('reader'))!, t0);
    const b = await sessions.create((await accounts.get('reader'))!, t0);
    assert.ok(await sessions.get(a.id, t0 + 50_000), 'used within the idle time');
    assert.ok(await sessions.get(a.id, t0 + 100_000), 'the use at +50 s moved its idle start');
    assert.equal(await sessions.get(b.id, t0 + 60_001), undefined, 'idle for longer than 60 s');
    assert.equal(await sessions.get(b.id, t0), undefined, 'an expired session stays gone');
    assert.equal(await sessions.get('not-a-session', t0), undefined);
  });
});
