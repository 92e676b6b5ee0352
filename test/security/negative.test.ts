/**
 * Refusals: wrong passwords (indistinguishable from unknown users), robots
 * outside their globs, tampered tokens (edited scope, alg none, HMAC with
 * the public key, a foreign key, expired, refresh/access swapped), path
 * traversal aimed at another namespace (paths, scopes, mounts), and the
 * failed-login rate limit.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { SignJWT } from 'jose';
import { authPaths } from '../../src/auth/setup.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { SecureClient, basic, bearer, decodeJwt, parseChallenge, sha256, type Res, type TokenBody } from './support/secure-client.js';

const code = (r: Res): string | undefined => {
  try {
    return r.json<{ errors: { code: string }[] }>().errors[0]?.code;
  } catch {
    return undefined;
  }
};
const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('security: refusals', () => {
  let reg: AirlockHandle;
  let c: SecureClient;
  let admin: string;
  let puller: { username: string; token: string };
  let teamA: { username: string; token: string };
  let teamBDigest: string;
  const layerB = Buffer.from('layer of team-b/app');

  before(async () => {
    reg = await startAirlock({ auth: 'token' });
    c = new SecureClient(reg.url, reg.security!.caCertPath);
    admin = basic('admin', reg.security!.adminPassword);
    puller = await reg.security!.addRobot('cluster', { pull: ['ocp4/**'] });
    teamA = await reg.security!.addRobot('team-a', { push: ['team-a/**'] });
    await reg.security!.addUser('alice', 'alice-password', { push: ['ocp4/**'] });
    for (const repo of ['ocp4/release', 'team-b/app']) {
      const r = await c.pushImage(repo, 'v1', admin);
      assert.equal(r.status, 201);
      if (repo === 'team-b/app') teamBDigest = String(r.headers['docker-content-digest']);
    }
  });
  after(async () => {
    await c?.close();
    await reg?.close();
  });

  it('a wrong password and an unknown user get the same 401, on /token and on /v2', async () => {
    const wrong = await c.getToken({ user: 'alice', pass: 'not-her-password' }, ['repository:ocp4/release:pull']);
    const unknown = await c.getToken({ user: 'mallory', pass: 'not-her-password' }, ['repository:ocp4/release:pull']);
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.equal(wrong.text(), unknown.text());
    assert.equal(wrong.headers['www-authenticate'], unknown.headers['www-authenticate']);
    const v2wrong = await c.request('GET', '/v2/ocp4/release/tags/list', { headers: { authorization: basic('alice', 'nope-nope') } });
    const v2unknown = await c.request('GET', '/v2/ocp4/release/tags/list', { headers: { authorization: basic('nobody', 'nope-nope') } });
    assert.equal(v2wrong.status, 401);
    assert.equal(v2wrong.text(), v2unknown.text());
    assert.equal(code(v2wrong), 'UNAUTHORIZED');
    assert.ok(!v2wrong.text().includes('alice') && !v2wrong.text().toLowerCase().includes('password'));
  });

  it('a pull-only robot can pull inside its glob, nothing outside, and cannot push', async () => {
    const creds = { user: puller.username, pass: puller.token };
    const t = await c.token(creds, ['repository:ocp4/release:pull,push,delete', 'repository:team-b/app:pull']);
    assert.deepEqual(decodeJwt(t).payload.access, [{ type: 'repository', name: 'ocp4/release', actions: ['pull'] }]);
    assert.equal((await c.request('GET', '/v2/ocp4/release/manifests/v1', { headers: { authorization: bearer(t) } })).status, 200);
    const outside = await c.request('GET', '/v2/team-b/app/manifests/v1', { headers: { authorization: bearer(t) } });
    assert.equal(outside.status, 403);
    assert.equal(code(outside), 'DENIED');
    const push = await c.pushImage('ocp4/release', 'evil', bearer(t));
    assert.equal(push.status, 403);
    assert.equal(code(push), 'DENIED');
    const viaBasic = await c.pushImage('ocp4/release', 'evil', basic(puller.username, puller.token));
    assert.equal(viaBasic.status, 403);
    const del = await c.request('DELETE', '/v2/ocp4/release/manifests/v1', { headers: { authorization: basic(puller.username, puller.token) } });
    assert.equal(del.status, 403);
    assert.equal((await c.request('GET', '/v2/ocp4/release/tags/list', { headers: { authorization: admin } })).json<{ tags: string[] }>().tags.join(), 'v1');
  });

  it('rejects tampered tokens: edited scope, alg none, HMAC with the public key, a foreign key', async () => {
    const t = await c.token({ user: puller.username, pass: puller.token }, ['repository:ocp4/release:pull']);
    const [h, p, sig] = t.split('.') as [string, string, string];
    const payload = decodeJwt(t).payload;
    const target = '/v2/team-b/app/manifests/v1';
    const tryToken = async (tok: string): Promise<Res> => c.request('GET', target, { headers: { authorization: bearer(tok) } });

    const edited = `${h}.${b64({ ...payload, access: [{ type: 'repository', name: 'team-b/app', actions: ['pull', 'push'] }] })}.${sig}`;
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...payload, access: [{ type: 'repository', name: 'team-b/app', actions: ['pull'] }] })}.`;
    const pubPem = createPublicKey(createPrivateKey(readFileSync(authPaths(reg.dataDir).signingKey, 'utf8'))).export({ type: 'spki', format: 'pem' });
    const hmac = await new SignJWT({ ...payload, access: [{ type: 'repository', name: 'team-b/app', actions: ['pull'] }] })
      .setProtectedHeader({ alg: 'HS256', kid: decodeJwt(t).header.kid as string })
      .sign(Buffer.from(pubPem));
    const foreign = await new SignJWT({ ...payload, access: [{ type: 'repository', name: 'team-b/app', actions: ['pull'] }] })
      .setProtectedHeader({ alg: 'ES256', kid: decodeJwt(t).header.kid as string, typ: 'JWT' })
      .sign(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
    for (const [what, tok] of Object.entries({ edited, none, hmac, foreign, truncated: `${h}.${p}`, garbage: 'not-a-jwt' })) {
      const r = await tryToken(tok);
      assert.equal(r.status, 401, `${what} token must be refused`);
      assert.equal(code(r), 'UNAUTHORIZED');
      assert.equal(parseChallenge(r.headers['www-authenticate']).error, 'invalid_token', what);
    }
    assert.equal((await tryToken(t)).status, 403, 'the untampered token is valid but lacks team-b/app');
  });

  it('rejects expired tokens and swapped token kinds, while a fresh token from the same key works', async () => {
    const key = createPrivateKey(readFileSync(authPaths(reg.dataDir).signingKey, 'utf8'));
    const t = await c.token({ user: puller.username, pass: puller.token }, ['repository:ocp4/release:pull']);
    const { header, payload } = decodeJwt(t);
    const sign = (claims: Record<string, unknown>): Promise<string> =>
      new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: header.kid as string, typ: 'JWT' }).sign(key);
    const now = Math.floor(Date.now() / 1000);
    const path = '/v2/ocp4/release/manifests/v1';
    const expired = await sign({ ...payload, iat: now - 7200, nbf: now - 7200, exp: now - 3600 });
    assert.equal((await c.request('GET', path, { headers: { authorization: bearer(expired) } })).status, 401);
    const fresh = await sign({ ...payload, iat: now, nbf: now, exp: now + 60 });
    assert.equal((await c.request('GET', path, { headers: { authorization: bearer(fresh) } })).status, 200, 'control: a valid hand-signed token');

    const off = await c.postToken({ grant_type: 'password', username: 'alice', password: 'alice-password', service: 'airlock', access_type: 'offline', scope: 'repository:ocp4/release:pull' });
    const { token, refresh_token: refresh } = off.json<TokenBody>();
    assert.equal((await c.request('GET', path, { headers: { authorization: bearer(refresh!) } })).status, 401, 'a refresh token is not an access token');
    assert.equal((await c.postToken({ grant_type: 'refresh_token', refresh_token: token, service: 'airlock' })).status, 401, 'an access token is not a refresh token');
  });

  it('path traversal in repository names never reaches another namespace', async () => {
    const ra = basic(teamA.username, teamA.token);
    const before = (await c.request('GET', '/v2/team-b/app/manifests/v1', { headers: { authorization: admin } })).headers['docker-content-digest'];
    const names = ['team-a/../team-b/app', 'team-a/%2e%2e/team-b/app', 'team-a/..%2fteam-b/app', 'team-a/%2F../team-b/app', 'team-a//team-b/app', 'team-a/./../team-b/app'];
    for (const name of names) {
      const r = await c.request('PUT', `/v2/${name}/manifests/v1`, {
        headers: { authorization: ra, 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
        body: '{}',
      });
      assert.ok([400, 401, 403, 404].includes(r.status), `${name}: ${r.status}`);
      const d = await c.request('DELETE', `/v2/${name}/manifests/v1`, { headers: { authorization: ra } });
      assert.ok([400, 401, 403, 404].includes(d.status), `${name} delete: ${d.status}`);
    }
    const t = await c.token({ user: teamA.username, pass: teamA.token }, ['repository:team-a/../team-b/app:pull,push', 'repository:team-a/x:push']);
    assert.deepEqual(decodeJwt(t).payload.access, [{ type: 'repository', name: 'team-a/x', actions: ['push'] }]);
    const after = await c.request('GET', '/v2/team-b/app/manifests/v1', { headers: { authorization: admin } });
    assert.equal(after.status, 200);
    assert.equal(after.headers['docker-content-digest'], before, 'team-b/app is untouched');
  });

  it('a mount from a repository the caller cannot read opens a new upload session and leaks nothing', async () => {
    const ra = basic(teamA.username, teamA.token);
    const d = sha256(layerB);
    for (const from of ['team-b/app', 'team-a/../team-b/app']) {
      const r = await c.request('POST', `/v2/team-a/stolen/blobs/uploads/?mount=${encodeURIComponent(d)}&from=${encodeURIComponent(from)}`, { headers: { authorization: ra } });
      assert.equal(r.status, 202, `mount from ${from} must not succeed`);
      assert.ok(String(r.headers.location).includes('/blobs/uploads/'));
      assert.equal(r.headers['docker-content-digest'], undefined);
    }
    assert.equal((await c.request('HEAD', `/v2/team-a/stolen/blobs/${d}`, { headers: { authorization: ra } })).status, 404);
    // Control: with read access the same mount works.
    const ok = await c.request('POST', `/v2/ocp4/mounted/blobs/uploads/?mount=${encodeURIComponent(d)}&from=team-b/app`, { headers: { authorization: admin } });
    assert.equal(ok.status, 201);
    assert.ok(teamBDigest);
  });

  it('a mount without `from` of a blob only an unreadable repository holds answers exactly like a blob nobody holds (202)', async () => {
    const ra = basic(teamA.username, teamA.token);
    const held = sha256(layerB); // only team-b/app holds it
    const nobody = sha256(Buffer.from('a blob nobody pushed'));
    const post = (d: string, auth: string, repo = 'team-a/auto'): Promise<Res> =>
      c.request('POST', `/v2/${repo}/blobs/uploads/?mount=${encodeURIComponent(d)}`, { headers: { authorization: auth } });
    const heldRes = await post(held, ra);
    const nobodyRes = await post(nobody, ra);
    for (const [what, r] of [['held by team-b/app', heldRes], ['held by nobody', nobodyRes]] as const) {
      assert.equal(r.status, 202, `${what}: must open a session, not mount`);
      assert.match(String(r.headers.location), /^\/v2\/team-a\/auto\/blobs\/uploads\/[0-9a-f-]+$/, what);
      assert.equal(r.headers['docker-content-digest'], undefined, what);
    }
    const shape = (r: Res): unknown => ({
      status: r.status,
      keys: Object.keys(r.headers).filter((k) => !['date', 'location', 'docker-upload-uuid', 'x-request-id'].includes(k)).sort(),
      range: r.headers.range,
      body: r.text(),
    });
    assert.deepEqual(shape(heldRes), shape(nobodyRes), 'the two answers must not differ beyond the session id');
    assert.equal((await c.request('HEAD', `/v2/team-a/auto/blobs/${held}`, { headers: { authorization: ra } })).status, 404, 'nothing was mounted');
    // Control: a caller who may read team-b/app gets the blob mounted without naming it.
    const ok = await post(held, admin, 'ocp4/auto-mounted');
    assert.equal(ok.status, 201);
    assert.equal(ok.headers['docker-content-digest'], held);
    assert.equal(ok.headers.location, `/v2/ocp4/auto-mounted/blobs/${held}`);
  });

  it('a burst of failed logins hits the rate limit; a right password then gets the same 429', async () => {
    const rl = await startAirlock({ auth: 'token', config: { auth: { loginFailureLimit: 5, loginFailureWindowSeconds: 2 } } });
    const rc = new SecureClient(rl.url, rl.security!.caCertPath);
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push((await rc.getToken({ user: 'admin', pass: `guess-${i}` }, [])).status);
      assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429, 429]);
      const right = await rc.getToken({ user: 'admin', pass: rl.security!.adminPassword }, []);
      const wrong = await rc.getToken({ user: 'admin', pass: 'guess-x' }, []);
      assert.equal(right.status, 429);
      assert.equal(right.text(), wrong.text(), 'a blocked right guess looks like a wrong one');
      assert.equal(code(right), 'TOOMANYREQUESTS');
      assert.match(String(right.headers['retry-after']), /^\d+$/);
      const v2 = await rc.request('GET', '/v2/', { headers: { authorization: basic('admin', rl.security!.adminPassword) } });
      assert.equal(v2.status, 429, 'Basic auth on /v2 is limited too');
      await sleep(2100);
      assert.equal((await rc.getToken({ user: 'admin', pass: rl.security!.adminPassword }, [])).status, 200, 'the window ends');
    } finally {
      await rc.close();
      await rl.close();
    }
  });
});
