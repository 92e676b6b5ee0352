/** Unit tests: auth files, WWW-Authenticate parsing, token caching and expiry, backoff. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthStore } from '../../src/transports/registry/auth-file.js';
import { parseChallenges } from '../../src/transports/registry/challenge.js';
import { RegistryAuth, type TokenRequest } from '../../src/transports/registry/registry-auth.js';
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
    assert.deepEqual({ ...store.lookup('podman.example.com') }, { username: 'pod', password: 'man:with:colons', key: 'podman.example.com', file: 'pull-secret.json' });
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

describe('docker config.json settings, credential helpers and identity tokens', () => {
  it('reads a config.json without "auths" as one with no credentials, not as a legacy ~/.dockercfg', () => {
    const desktop = AuthStore.parse('config.json', JSON.stringify({ credsStore: 'desktop', currentContext: 'desktop-linux' }));
    assert.equal(desktop.size, 0);
    assert.deepEqual(desktop.helperFor('docker.io'), { file: 'config.json', name: 'desktop' });
    const settings = {
      credHelpers: { 'quay.io': 'secretservice', 'https://Gcr.io': 'gcloud' },
      HttpHeaders: { 'User-Agent': 'x' },
      psFormat: 'table {{.ID}}',
      plugins: { buildx: { enabled: 'true' } },
      proxies: { default: { httpProxy: 'http://proxy:3128' } },
      detachKeys: 'ctrl-e,e',
      'r.example:5000': { auth: b64('mixed:in') },
    };
    const s = AuthStore.parse('config.json', JSON.stringify(settings));
    assert.equal(s.size, 0, 'one non-entry value makes it a config.json: its auth-like member is not an "auths" entry');
    assert.deepEqual(s.helperFor('gcr.io'), { file: 'config.json', name: 'gcloud' }, 'credHelpers keys are normalized');
    assert.equal(s.helperFor('quay.io')?.name, 'secretservice');
    assert.equal(s.helperFor('docker.io'), undefined, 'no credsStore: other hosts have no helper');
    const legacy = AuthStore.parse('.dockercfg', JSON.stringify({ 'https://index.docker.io/v1/': { auth: b64('old:pw'), email: 'a@b' }, 'r.example': { email: 'only@mail' } }));
    assert.equal(legacy.lookup('docker.io')?.username, 'old', 'a map of entries is still a legacy ~/.dockercfg');
    assert.equal(legacy.helperFor('docker.io'), undefined);
  });

  it('prefers credHelpers[host] over credsStore, entries over helpers, earlier files over later', () => {
    const podman = AuthStore.parse('auth.json', JSON.stringify({ auths: { 'quay.io': { auth: b64('q:pw') } } }));
    const docker = AuthStore.parse('config.json', JSON.stringify({ auths: { 'docker.io': {} }, credsStore: 'desktop', credHelpers: { 'quay.io': 'ecr-login', 'r.example': 'pass' } }));
    const later = AuthStore.parse('other.json', JSON.stringify({ credHelpers: { 'docker.io': 'late' } }));
    const s = AuthStore.merge([podman, docker, later]);
    assert.equal(s.lookup('quay.io')?.username, 'q');
    assert.equal(s.lookup('docker.io'), undefined, 'docker desktop\'s empty entry holds no credentials');
    assert.equal(s.helperFor('docker.io')?.name, 'desktop');
    assert.deepEqual(s.helperFor('r.example'), { file: 'config.json', name: 'pass' });
  });

  it('keeps identitytoken (with or without a user name) and never quotes it in errors', () => {
    const s = AuthStore.parse('config.json', JSON.stringify({ auths: { 'a.example': { auth: b64('me:'), identitytoken: 'rt-1' }, 'b.example': { identitytoken: 'rt-2' } } }));
    assert.deepEqual({ ...s.lookup('a.example') }, { username: 'me', password: '', identityToken: 'rt-1', key: 'a.example', file: 'config.json' });
    assert.deepEqual({ ...s.lookup('b.example') }, { username: '', password: '', identityToken: 'rt-2', key: 'b.example', file: 'config.json' });
    assert.throws(
      () => AuthStore.parse('c.json', JSON.stringify({ auths: { h: { identitytoken: { secret: 'tok-secret' } } } })),
      (e: Error) => /c\.json: entry "h": "identitytoken" must be a string/.test(e.message) && !e.message.includes('tok-secret'),
    );
  });

  const bearerChallenge = parseChallenges('Bearer realm="https://auth.example/token",service="svc"')[0];

  it('exchanges an identitytoken with grant_type=refresh_token (POST form, no Basic)', async () => {
    const seen: TokenRequest[] = [];
    const store = AuthStore.parse('config.json', JSON.stringify({ auths: { 'r.example': { auth: b64('me:'), identitytoken: 'refresh-me' } } }));
    const auth = new RegistryAuth('r.example', store, async (req) => {
      seen.push(req);
      return { status: 200, body: { access_token: 'from-refresh', expires_in: 300 } };
    }, { skipMultipleScopes: false });
    auth.setChallenge(bearerChallenge);
    assert.equal(await auth.authorization([{ repository: 'a/b', actions: ['pull', 'push'] }, { repository: 'c', actions: ['pull'] }]), 'Bearer from-refresh');
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.authorization, undefined);
    assert.equal(seen[0]!.url, 'https://auth.example/token', 'the form carries the parameters, not the query');
    assert.deepEqual(Object.fromEntries(seen[0]!.form!), {
      grant_type: 'refresh_token', refresh_token: 'refresh-me', client_id: 'airlock', service: 'svc', scope: 'repository:a/b:pull,push repository:c:pull',
    });
    const refused = new RegistryAuth('r.example', store, async () => ({ status: 401, body: {} }), { skipMultipleScopes: false });
    refused.setChallenge(bearerChallenge);
    await assert.rejects(refused.authorization([{ repository: 'a', actions: ['pull'] }]), (e: Error) => /identity token for "r\.example"( from \S+)? was rejected/.test(e.message) && !e.message.includes('refresh-me'));
    const basicOnly = new RegistryAuth('r.example', store, async () => assert.fail('no token request'), { skipMultipleScopes: false });
    basicOnly.setChallenge(parseChallenges('Basic realm="x"')[0]);
    assert.equal(await basicOnly.authorization([{ repository: 'a', actions: ['pull'] }]), undefined, 'a refresh token cannot answer Basic');
  });

  it('warns once when a credential helper holds the credentials, and says so when anonymous access is refused', async () => {
    const warnings: string[] = [];
    const store = AuthStore.parse('/home/u/.docker/config.json', JSON.stringify({ credsStore: 'desktop' }));
    const auth = new RegistryAuth('r.example:5000', store, async () => ({ status: 401, body: {} }), { skipMultipleScopes: false, onWarning: (m) => warnings.push(m) });
    assert.equal(await auth.authorization([{ repository: 'a', actions: ['pull'] }]), undefined, 'no challenge yet: nothing to say');
    assert.deepEqual(warnings, []);
    auth.setChallenge(bearerChallenge);
    const hint = /\/home\/u\/\.docker\/config\.json leaves them to the credential helper docker-credential-desktop, which is not on PATH; use `airlock login r\.example:5000` or -a\/--registry-config FILE/;
    await assert.rejects(auth.authorization([{ repository: 'a', actions: ['pull'] }]), (e: Error) => /r\.example:5000: anonymous access refused \(no credentials for r\.example:5000: /.test(e.message) && hint.test(e.message));
    await assert.rejects(auth.authorization([{ repository: 'b', actions: ['pull'] }]));
    assert.equal(warnings.length, 1, 'one warning per registry');
    assert.match(warnings[0]!, hint);
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
      async (req) => {
        requests.push(new URL(req.url).searchParams.getAll('scope'));
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
