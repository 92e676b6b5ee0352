/**
 * The Docker token protocol over verified TLS: challenges, GET and POST
 * token requests, several scopes at once, the catalog scope, refresh tokens
 * (a token expiring in the middle of a chunked upload), Basic auth on /v2,
 * anonymous pull on and off, accounts changed while the server runs, and the
 * audit lines.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { hashSecret } from '../../src/auth/passwords.js';
import type { AuditEvent } from '../../src/auth/audit.js';
import { startAirlock, type AirlockHandle, type AirlockSecurity } from '../helpers/airlock-server.js';
import { SecureClient, basic, bearer, decodeJwt, parseChallenge, sha256, type TokenBody } from './support/secure-client.js';

describe('token protocol (verified TLS)', () => {
  let reg: AirlockHandle;
  let sec: AirlockSecurity;
  let c: SecureClient;
  let admin: { user: string; pass: string };
  const audit: AuditEvent[] = [];

  before(async () => {
    reg = await startAirlock({ auth: 'token' });
    sec = reg.security!;
    c = new SecureClient(reg.url, sec.caCertPath);
    admin = { user: 'admin', pass: sec.adminPassword };
    reg.registry.auth!.audit.attach({ info: (o) => audit.push(o as AuditEvent) });
    await sec.addUser('mirror', 'mirror-password', { push: ['ocp4/**', 'shared/**'] });
    await sec.addUser('reader', 'reader-password', { pull: ['ocp4/**'] });
    const a = bearer(await c.token(admin, ['repository:ocp4/release:pull,push', 'repository:secret/app:pull,push', 'repository:shared/base:pull,push']));
    for (const repo of ['ocp4/release', 'secret/app', 'shared/base']) assert.equal((await c.pushImage(repo, 'v1', a)).status, 201, repo);
  });
  after(async () => {
    await c?.close();
    await reg?.close();
  });

  it('answers unauthenticated requests with 401 and a Bearer challenge (absolute realm from Host, service, scope)', async () => {
    const ping = await c.request('GET', '/v2/');
    assert.equal(ping.status, 401);
    assert.equal(ping.json<{ errors: { code: string }[] }>().errors[0]!.code, 'UNAUTHORIZED');
    assert.deepEqual(parseChallenge(ping.headers['www-authenticate']), { realm: `${reg.url}/token`, service: 'airlock' });
    const m = await c.request('GET', '/v2/ocp4/release/manifests/v1', { headers: { host: `localhost:${reg.registry.port}` } });
    assert.equal(m.status, 401);
    assert.deepEqual(parseChallenge(m.headers['www-authenticate']), {
      realm: `https://localhost:${reg.registry.port}/token`,
      service: 'airlock',
      scope: 'repository:ocp4/release:pull',
    });
    const push = await c.request('POST', '/v2/ocp4/new/blobs/uploads/');
    assert.equal(parseChallenge(push.headers['www-authenticate']).scope, 'repository:ocp4/new:pull,push');
    const cat = await c.request('GET', '/v2/_catalog');
    assert.equal(parseChallenge(cat.headers['www-authenticate']).scope, 'registry:catalog:*');
  });

  it('GET /token with several scope= parameters grants exactly the permitted subset (ES256, kid, 1 h)', async () => {
    const r = await c.getToken({ user: 'reader', pass: 'reader-password' }, [
      'repository:ocp4/release:pull,push',
      'repository:secret/app:pull',
      'repository:ocp4/other:pull,delete',
      'registry:catalog:*',
    ]);
    assert.equal(r.status, 200);
    assert.equal(r.headers['cache-control'], 'no-store');
    const body = r.json<TokenBody>();
    assert.equal(body.token, body.access_token);
    assert.equal(body.expires_in, 3600);
    assert.equal(body.refresh_token, undefined, 'no refresh token without offline_token=true');
    const { header, payload } = decodeJwt(body.token);
    assert.equal(header.alg, 'ES256');
    assert.equal(typeof header.kid, 'string');
    assert.equal(payload.sub, 'reader');
    assert.equal(payload.aud, 'airlock');
    assert.equal((payload.exp as number) - (payload.iat as number), 3600);
    assert.deepEqual(payload.access, [
      { type: 'repository', name: 'ocp4/release', actions: ['pull'] },
      { type: 'repository', name: 'ocp4/other', actions: ['pull'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ]);
  });

  it('a token for several repositories works on each of them and on nothing else', async () => {
    const t = bearer(await c.token({ user: 'mirror', pass: 'mirror-password' }, ['repository:ocp4/release:pull', 'repository:shared/base:pull', 'repository:secret/app:pull']));
    assert.equal((await c.request('GET', '/v2/ocp4/release/manifests/v1', { headers: { authorization: t } })).status, 200);
    assert.equal((await c.request('GET', '/v2/shared/base/manifests/v1', { headers: { authorization: t } })).status, 200);
    const denied = await c.request('GET', '/v2/secret/app/manifests/v1', { headers: { authorization: t } });
    assert.equal(denied.status, 403);
    assert.equal(denied.json<{ errors: { code: string }[] }>().errors[0]!.code, 'DENIED');
    const notInToken = await c.request('HEAD', '/v2/ocp4/release/blobs/' + sha256('x'), { headers: { authorization: t } });
    assert.equal(notInToken.status, 404, 'pull on ocp4/release is in the token');
    const push = await c.request('POST', '/v2/ocp4/release/blobs/uploads/', { headers: { authorization: t } });
    assert.equal(push.status, 401, 'push is not in the token but the account holds it: get a better token');
    assert.equal(parseChallenge(push.headers['www-authenticate']).error, 'insufficient_scope');
  });

  it('POST grant_type=password (space-separated scopes) and grant_type=refresh_token', async () => {
    const r = await c.postToken({ grant_type: 'password', username: 'mirror', password: 'mirror-password', service: 'airlock', client_id: 'test', access_type: 'offline', scope: 'repository:ocp4/a:pull,push repository:shared/b:pull' });
    assert.equal(r.status, 200, r.text());
    const body = r.json<TokenBody>();
    assert.ok(body.refresh_token, 'offline access returns a refresh token');
    assert.deepEqual(decodeJwt(body.access_token).payload.access, [
      { type: 'repository', name: 'ocp4/a', actions: ['pull', 'push'] },
      { type: 'repository', name: 'shared/b', actions: ['pull'] },
    ]);
    const again = await c.postToken({ grant_type: 'refresh_token', refresh_token: body.refresh_token!, service: 'airlock', scope: ['repository:ocp4/release:pull'] });
    assert.equal(again.status, 200, again.text());
    const t2 = again.json<TokenBody>();
    assert.ok(t2.refresh_token);
    assert.deepEqual(decodeJwt(t2.access_token).payload.access, [{ type: 'repository', name: 'ocp4/release', actions: ['pull'] }]);
    assert.equal((await c.request('GET', '/v2/ocp4/release/manifests/v1', { headers: { authorization: bearer(t2.access_token) } })).status, 200);
    assert.equal((await c.postToken({ grant_type: 'refresh_token', refresh_token: 'garbage', service: 'airlock' })).status, 401);
    assert.equal((await c.postToken({ grant_type: 'client_credentials' })).status, 400);
  });

  it('GET offline_token=true (docker login) returns an access token but no refresh token: docker would replay it from every process', async () => {
    const r = await c.getToken({ user: 'reader', pass: 'reader-password' }, [], { offline_token: 'true' });
    assert.equal(r.status, 200, r.text());
    assert.ok(r.json<TokenBody>().token);
    assert.equal(r.json<TokenBody>().refresh_token, undefined);
  });

  it('the catalog scope lists only the repositories the caller may read', async () => {
    const list = async (creds: { user: string; pass: string }): Promise<string[]> => {
      const t = await c.token(creds, ['registry:catalog:*']);
      const r = await c.request('GET', '/v2/_catalog', { headers: { authorization: bearer(t) } });
      assert.equal(r.status, 200);
      return r.json<{ repositories: string[] }>().repositories;
    };
    assert.deepEqual(await list(admin), ['ocp4/release', 'secret/app', 'shared/base']);
    assert.deepEqual(await list({ user: 'reader', pass: 'reader-password' }), ['ocp4/release']);
    assert.deepEqual(await list({ user: 'mirror', pass: 'mirror-password' }), ['ocp4/release', 'shared/base']);
    const noScope = await c.request('GET', '/v2/_catalog', { headers: { authorization: bearer(await c.token(admin, ['repository:ocp4/release:pull'])) } });
    assert.equal(noScope.status, 401, 'a token without the catalog scope cannot list');
    const viaBasic = await c.request('GET', '/v2/_catalog', { headers: { authorization: basic('reader', 'reader-password') } });
    assert.deepEqual(viaBasic.json<{ repositories: string[] }>().repositories, ['ocp4/release']);
  });

  it('Basic auth sent directly to /v2/ works, with the same permissions', async () => {
    const b = basic('mirror', 'mirror-password');
    assert.equal((await c.request('GET', '/v2/', { headers: { authorization: b } })).status, 200);
    assert.equal((await c.pushImage('ocp4/basic', 'v1', b)).status, 201);
    assert.equal((await c.request('GET', '/v2/secret/app/tags/list', { headers: { authorization: b } })).status, 403);
  });

  it('a token expiring during a chunked upload: the client refreshes and the upload completes', async () => {
    const short = await startAirlock({ auth: 'token', config: { auth: { tokenTtlSeconds: 1 } } });
    const sc = new SecureClient(short.url, short.security!.caCertPath);
    try {
      const robot = await short.security!.addRobot('pipeline', { push: ['mirror/**'] });
      const scope = 'repository:mirror/big:pull,push';
      const first = await sc.postToken({ grant_type: 'password', username: robot.username, password: robot.token, service: 'airlock', access_type: 'offline', scope });
      const { token } = first.json<TokenBody>();
      let refresh = first.json<TokenBody>().refresh_token!;
      assert.ok(refresh);
      const chunks = [Buffer.alloc(300_000, 1), Buffer.alloc(300_000, 2), Buffer.alloc(123_457, 3)];
      const whole = Buffer.concat(chunks);
      let auth = bearer(token);
      const start = await sc.request('POST', '/v2/mirror/big/blobs/uploads/', { headers: { authorization: auth } });
      assert.equal(start.status, 202);
      let loc = String(start.headers.location);
      let offset = 0;
      let refreshed = 0;
      for (const [i, chunk] of chunks.entries()) {
        if (i === 1) await sleep(2100); // the 1-second token is now expired
        const send = (): Promise<import('./support/secure-client.js').Res> =>
          sc.request('PATCH', loc, {
            headers: { authorization: auth, 'content-type': 'application/octet-stream', 'content-range': `${offset}-${offset + chunk.length - 1}` },
            body: chunk,
          });
        let r = await send();
        if (r.status === 401) {
          assert.equal(parseChallenge(r.headers['www-authenticate']).error, 'invalid_token');
          const n = await sc.postToken({ grant_type: 'refresh_token', refresh_token: refresh, service: 'airlock', scope });
          assert.equal(n.status, 200);
          auth = bearer(n.json<TokenBody>().access_token);
          refresh = n.json<TokenBody>().refresh_token!; // single use: the next refresh needs the new one
          refreshed++;
          r = await send();
        }
        assert.equal(r.status, 202, r.text());
        loc = String(r.headers.location);
        offset += chunk.length;
      }
      // One refresh when the machine keeps up; more when a loaded machine lets the 1-second token lapse again.
      assert.ok(refreshed >= 1, 'the expired token was refreshed');
      const u = new URL(loc, sc.origin);
      u.searchParams.set('digest', sha256(whole));
      let done = await sc.request('PUT', u.pathname + u.search, { headers: { authorization: auth } });
      if (done.status === 401) {
        const n = await sc.postToken({ grant_type: 'refresh_token', refresh_token: refresh, service: 'airlock', scope });
        auth = bearer(n.json<TokenBody>().access_token);
        done = await sc.request('PUT', u.pathname + u.search, { headers: { authorization: auth } });
      }
      assert.equal(done.status, 201, done.text());
      const got = await sc.request('GET', `/v2/mirror/big/blobs/${sha256(whole)}`, { headers: { authorization: auth } });
      assert.equal(got.status, 200);
      assert.ok(got.body.equals(whole));
    } finally {
      await sc.close();
      await short.close();
    }
  });

  it('anonymous pull is off by default and on for --anonymous-pull globs only', async () => {
    assert.equal((await c.request('GET', '/v2/ocp4/release/manifests/v1')).status, 401);
    const anonToken = await c.token(undefined, ['repository:ocp4/release:pull']);
    assert.deepEqual(decodeJwt(anonToken).payload.access, []);
    assert.equal((await c.request('GET', '/v2/ocp4/release/manifests/v1', { headers: { authorization: bearer(anonToken) } })).status, 401);

    const pub = await startAirlock({ auth: 'token', config: { auth: { anonymousPull: ['public/**'] } } });
    const pc = new SecureClient(pub.url, pub.security!.caCertPath);
    try {
      const a = basic('admin', pub.security!.adminPassword);
      assert.equal((await pc.pushImage('public/tools', 'v1', a)).status, 201);
      assert.equal((await pc.pushImage('private/tools', 'v1', a)).status, 201);
      const t = await pc.token(undefined, ['repository:public/tools:pull,push', 'repository:private/tools:pull', 'registry:catalog:*']);
      assert.deepEqual(decodeJwt(t).payload.access, [
        { type: 'repository', name: 'public/tools', actions: ['pull'] },
        { type: 'registry', name: 'catalog', actions: ['*'] },
      ]);
      assert.equal((await pc.request('GET', '/v2/public/tools/manifests/v1', { headers: { authorization: bearer(t) } })).status, 200);
      assert.equal((await pc.request('GET', '/v2/public/tools/manifests/v1')).status, 200, 'token-less anonymous read');
      assert.equal((await pc.request('GET', '/v2/private/tools/manifests/v1', { headers: { authorization: bearer(t) } })).status, 401);
      assert.equal((await pc.request('POST', '/v2/public/tools/blobs/uploads/', { headers: { authorization: bearer(t) } })).status, 401);
      const cat = await pc.request('GET', '/v2/_catalog', { headers: { authorization: bearer(t) } });
      assert.deepEqual(cat.json<{ repositories: string[] }>().repositories, ['public/tools']);
    } finally {
      await pc.close();
      await pub.close();
    }
  });

  it('accounts added, changed and removed while the server runs take effect at once', async () => {
    const store = reg.registry.auth!.store;
    await store.add({ name: 'late', kind: 'user', secretHash: await hashSecret('late-password-1'), admin: false, pull: ['ocp4/**'], push: [] });
    const t = await c.token({ user: 'late', pass: 'late-password-1' }, ['repository:ocp4/release:pull']);
    assert.equal((await c.request('GET', '/v2/ocp4/release/manifests/v1', { headers: { authorization: bearer(t) } })).status, 200);
    await store.setSecret('late', await hashSecret('late-password-2'));
    const old = await c.request('GET', '/v2/ocp4/release/manifests/v1', { headers: { authorization: bearer(t) } });
    assert.equal(old.status, 401, 'a password change revokes earlier tokens');
    assert.equal((await c.getToken({ user: 'late', pass: 'late-password-1' }, [])).status, 401);
    const t2 = await c.token({ user: 'late', pass: 'late-password-2' }, ['repository:ocp4/release:pull']);
    await store.remove('late');
    assert.equal((await c.request('GET', '/v2/ocp4/release/manifests/v1', { headers: { authorization: bearer(t2) } })).status, 401);
  });

  it('writes audit lines for logins, pushes and deletes (who, what), never secrets', async () => {
    audit.length = 0;
    const b = basic('mirror', 'mirror-password');
    await c.getToken({ user: 'mirror', pass: 'wrong-password' }, []);
    await c.getToken({ user: 'mirror', pass: 'mirror-password' }, []);
    assert.equal((await c.pushImage('ocp4/audited', 'v7', b)).status, 201);
    assert.equal((await c.request('DELETE', '/v2/ocp4/audited/manifests/v7', { headers: { authorization: b } })).status, 202);
    assert.deepEqual(audit.filter((e) => e.audit === 'login').map((e) => [e.user, e.audit === 'login' && e.ok]), [
      ['mirror', false],
      ['mirror', true],
    ]);
    const pushes = audit.filter((e) => e.audit === 'push');
    assert.equal(pushes.length, 3, 'two blobs and the manifest');
    assert.ok(pushes.every((e) => e.user === 'mirror' && e.audit === 'push' && e.repo === 'ocp4/audited'));
    assert.ok(pushes.some((e) => e.audit === 'push' && e.ref === 'v7'));
    assert.ok(audit.some((e) => e.audit === 'delete' && e.user === 'mirror' && e.ref === 'v7'));
    const text = JSON.stringify(audit);
    assert.ok(!text.includes('mirror-password') && !text.includes('wrong-password'));
  });
});
