/** Unit tests: auth files, WWW-Authenticate parsing, token caching and expiry, backoff. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthStore } from '../../src/transports/registry/auth-file.js';
import { parseChallenges } from '../../src/transports/registry/challenge.js';
import { RegistryAuth } from '../../src/transports/registry/registry-auth.js';
import { backoffDelay, isRetryableError, parseRetryAfter } from '../../src/transports/registry/retry.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('auth files', () => {
  const pullSecret = JSON.stringify({
    auths: {
      'cloud.openshift.com': { auth: b64('rh:token1'), email: 'x@example.com' },
      'mirror.example.com:8443': { auth: b64('host:pw') },
      'mirror.example.com:8443/ocp4/': { auth: b64('ns:pw') },
      'mirror.example.com:8443/ocp4/openshift4': { auth: b64('repo:pw') },
      'https://index.docker.io/v1/': { auth: b64('hub:pw') },
      'podman.example.com': { username: 'pod', password: 'man:with:colons' },
    },
  });
  const store = AuthStore.parse('pull-secret.json', pullSecret);

  it('picks the most specific key: repo, then namespace, then host', () => {
    assert.equal(store.lookup('mirror.example.com:8443', 'ocp4/openshift4')?.username, 'repo');
    assert.equal(store.lookup('mirror.example.com:8443', 'ocp4/other')?.username, 'ns');
    assert.equal(store.lookup('mirror.example.com:8443', 'ocp4/openshift4/deeper')?.username, 'repo');
    assert.equal(store.lookup('mirror.example.com:8443', 'olm/x')?.username, 'host');
    assert.equal(store.lookup('mirror.example.com', 'ocp4/x'), undefined, 'the port is part of the key');
  });

  it('understands docker legacy keys, username/password entries and passwords with colons', () => {
    assert.equal(store.lookup('docker.io', 'library/x')?.username, 'hub');
    assert.deepEqual({ ...store.lookup('podman.example.com') }, { username: 'pod', password: 'man:with:colons', key: 'podman.example.com' });
    assert.equal(store.lookup('cloud.openshift.com')?.password, 'token1');
  });

  it('names the problem in malformed files without printing secrets', () => {
    assert.throws(() => AuthStore.parse('a.json', '{"auths": '), /a\.json: not valid JSON/);
    assert.throws(() => AuthStore.parse('a.json', '[]'), /expected a JSON object/);
    assert.throws(() => AuthStore.parse('a.json', JSON.stringify({ auths: { h: { auth: '%%%' } } })), /entry "h": "auth" is not base64/);
    assert.throws(
      () => AuthStore.parse('a.json', JSON.stringify({ auths: { h: { auth: b64('no-colon-secret') } } })),
      (e: Error) => /does not decode to user:password/.test(e.message) && !e.message.includes('no-colon-secret'),
    );
  });

  it('loads -a files and reports a missing one; the default search skips missing files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airlock-auth-'));
    try {
      await writeFile(join(dir, 'auth.json'), JSON.stringify({ auths: { 'r.example:5000': { auth: b64('u:p') } } }));
      assert.equal((await AuthStore.load(join(dir, 'auth.json'))).lookup('r.example:5000')?.username, 'u');
      await assert.rejects(AuthStore.load(join(dir, 'nope.json')), /cannot read registry config .*nope\.json: ENOENT/);
      const s = await AuthStore.loadDefault({ HOME: dir, REGISTRY_AUTH_FILE: join(dir, 'auth.json'), XDG_RUNTIME_DIR: join(dir, 'run') });
      assert.equal(s.lookup('r.example:5000')?.password, 'p');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('WWW-Authenticate', () => {
  it('parses Bearer and Basic challenges with quoted and bare params', () => {
    const [c] = parseChallenges('Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push"');
    assert.deepEqual(c, { scheme: 'bearer', params: { realm: 'https://auth.example.com/token', service: 'registry.example.com', scope: 'repository:a/b:pull,push' } });
    assert.deepEqual(parseChallenges('Basic realm="Registry Realm"'), [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
    assert.deepEqual(parseChallenges('Bearer realm=https://a/t, error=insufficient_scope')[0]?.params, { realm: 'https://a/t', error: 'insufficient_scope' });
    assert.deepEqual(parseChallenges(undefined), []);
  });
});

describe('token cache', () => {
  const setup = (ttl: number) => {
    let now = 1_000_000;
    const requests: string[][] = [];
    const auth = new RegistryAuth(
      'r.example',
      AuthStore.empty(),
      async (url) => {
        requests.push(new URL(url).searchParams.getAll('scope'));
        return { status: 200, body: { token: `t${requests.length}`, expires_in: ttl } };
      },
      { skipMultipleScopes: false, now: () => now },
    );
    auth.setChallenge(parseChallenges('Bearer realm="https://auth.example/token",service="svc"')[0]);
    return { auth, requests, advance: (ms: number) => (now += ms) };
  };

  it('reuses a token for every request it covers and refreshes it before expiry', async () => {
    const { auth, requests, advance } = setup(300);
    assert.equal(await auth.authorization([{ repository: 'a', actions: ['pull', 'push'] }]), 'Bearer t1');
    assert.equal(await auth.authorization([{ repository: 'a', actions: ['pull'] }]), 'Bearer t1', 'pull is covered by pull,push');
    advance(280_000);
    assert.equal(await auth.authorization([{ repository: 'a', actions: ['pull'] }]), 'Bearer t1');
    advance(10_000); // 290 s: within 15 s of expiry
    assert.equal(await auth.authorization([{ repository: 'a', actions: ['pull'] }]), 'Bearer t2');
    assert.equal(requests.length, 2);
  });

  it('drops a token the registry refused and fetches one concurrent request at a time', async () => {
    const { auth, requests } = setup(300);
    const hs = await Promise.all([1, 2, 3].map(() => auth.authorization([{ repository: 'b', actions: ['pull'] }])));
    assert.deepEqual(hs, ['Bearer t1', 'Bearer t1', 'Bearer t1']);
    auth.unauthorized('Bearer t1', undefined);
    assert.equal(await auth.authorization([{ repository: 'b', actions: ['pull'] }]), 'Bearer t2');
    assert.equal(requests.length, 2);
  });

  it('bundles declared scopes, merging actions per repository', async () => {
    const { auth, requests } = setup(300);
    auth.declareScopes([{ repository: 'dst/a', actions: ['pull', 'push'] }, { repository: 'src/a', actions: ['pull'] }]);
    await auth.authorization([{ repository: 'src/a', actions: ['pull'] }]);
    assert.deepEqual(requests[0]?.sort(), ['repository:dst/a:pull,push', 'repository:src/a:pull']);
    assert.equal(await auth.authorization([{ repository: 'dst/a', actions: ['push'] }]), 'Bearer t1');
  });
});

describe('backoff', () => {
  const policy = { times: 5, delayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 60_000 };
  it('grows exponentially with jitter in [step/2, step], capped', () => {
    assert.equal(backoffDelay(0, policy, undefined, () => 0), 50);
    assert.equal(backoffDelay(0, policy, undefined, () => 1), 100);
    assert.equal(backoffDelay(3, policy, undefined, () => 1), 800);
    assert.equal(backoffDelay(10, policy, undefined, () => 1), 1000);
  });
  it('honours Retry-After (seconds or HTTP date), capped', () => {
    assert.equal(parseRetryAfter('7'), 7000);
    assert.equal(parseRetryAfter(new Date(Date.UTC(2030, 0, 1, 0, 0, 10)).toUTCString(), Date.UTC(2030, 0, 1)), 10_000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(backoffDelay(0, policy, 7000, () => 0), 7000);
    assert.equal(backoffDelay(0, policy, 600_000, () => 0), 60_000);
  });
  it('classifies network errors, including wrapped ones', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    assert.equal(isRetryableError(reset), true);
    assert.equal(isRetryableError(new Error('outer', { cause: reset })), true);
    assert.equal(isRetryableError(Object.assign(new Error('x'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' })), false);
  });
});
