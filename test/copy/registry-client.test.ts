/**
 * The registry client against real servers: airlock behind a loopback gate
 * proxy that adds Basic/Bearer auth, redirects and injected faults.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { checkImageTree, headManifest } from '../interop/support/registry-api.js';
import { dockerRegistryUnavailableReason, startDockerRegistry } from '../helpers/docker-registry.js';
import { peerGate } from '../interop/support/peers.js';
import { createCopyContext } from '../../src/copy/copy-context.js';
import { copyImage } from '../../src/copy/copy-image.js';
import type { CopyEvent } from '../../src/copy/events.js';
import { AuthStore } from '../../src/transports/registry/auth-file.js';
import { RegistryHub, type RegistryHubOptions } from '../../src/transports/registry/registry-hub.js';
import { OciLayout } from '../../src/transports/oci-layout/layout.js';
import { OciLayoutSource } from '../../src/transports/oci-layout/layout-image.js';
import { startGateProxy, type GateOptions, type GateProxy } from './support/gate-proxy.js';
import { writeTinyImages, type TinyImage } from './support/tiny-images.js';

const dockerGate = peerGate([dockerRegistryUnavailableReason()]);
const FAST_RETRY = { times: 4, delayMs: 5, maxDelayMs: 50, maxRetryAfterMs: 2000 };

function authFor(host: string, user: string, password: string): AuthStore {
  return AuthStore.parse('test-auth.json', JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } }));
}

describe('registry client', () => {
  let work: string;
  let upstream: AirlockHandle;
  let images: TinyImage[];
  let layout: OciLayoutSource;
  const gates: GateProxy[] = [];
  const hubs: RegistryHub[] = [];

  const gate = async (o: Omit<GateOptions, 'upstream'>): Promise<GateProxy> => {
    const g = await startGateProxy({ upstream: upstream.url, ...o });
    gates.push(g);
    return g;
  };
  const hub = (o: RegistryHubOptions = {}): RegistryHub => {
    const h = new RegistryHub({ insecure: () => true, retry: FAST_RETRY, ...o });
    hubs.push(h);
    return h;
  };
  /** Pushes tiny image `i` from the layout to `host/repo:v1`. */
  const push = async (h: RegistryHub, host: string, repo: string, i: number, events: CopyEvent[] = []): Promise<void> => {
    const ctx = createCopyContext({ retry: FAST_RETRY, emit: (e) => events.push(e) });
    const r = await copyImage(ctx, layout, images[i]!.ref, [{ dst: h.destination({ registry: host, repository: repo }), tag: 'v1' }]);
    assert.equal(r.targets[0]?.digest, images[i]!.digest);
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-client-'));
    images = await writeTinyImages(join(work, 'layout'), 4);
    layout = new OciLayoutSource(await OciLayout.open(join(work, 'layout'), { create: false }));
    upstream = await startAirlock();
  });

  after(async () => {
    await Promise.all(hubs.map((h) => h.close()));
    await Promise.all(gates.map((g) => g.close()));
    await upstream?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('authenticates with Basic credentials from the auth file, and names the problem without them', async () => {
    const g = await gate({ auth: 'basic', users: { alice: 's3cret' } });
    await push(hub({ auth: authFor(g.hostPort, 'alice', 's3cret') }), g.hostPort, 'basic/ok', 0);
    assert.equal((await headManifest(upstream.url, 'basic/ok', 'v1')).digest, images[0]!.digest);
    await assert.rejects(push(hub(), g.hostPort, 'basic/anon', 0), /HTTP 401/);
  });

  it('gets Bearer tokens with scopes, one token for several declared repositories', async () => {
    const g = await gate({ auth: 'bearer', users: { bob: 'pw' } });
    const h = hub({ auth: authFor(g.hostPort, 'bob', 'pw') });
    h.declareScopes(g.hostPort, ['multi/a', 'multi/b', 'multi/c'].map((repository) => ({ repository, actions: ['pull', 'push'] as const })));
    for (const [i, repo] of ['multi/a', 'multi/b', 'multi/c'].entries()) await push(h, g.hostPort, repo, i);
    assert.equal(g.tokenRequests.length, 1, `token requests: ${JSON.stringify(g.tokenRequests)}`);
    assert.deepEqual(g.tokenRequests[0]!.scopes.sort(), ['repository:multi/a:pull,push', 'repository:multi/b:pull,push', 'repository:multi/c:pull,push']);
    assert.equal(g.tokenRequests[0]!.user, 'bob');
  });

  it('asks one scope per token request with skipMultipleScopes (registries that refuse several)', async () => {
    const g = await gate({ auth: 'bearer', refuseMultipleScopes: true });
    const h = hub({ skipMultipleScopes: true });
    h.declareScopes(g.hostPort, [{ repository: 'single/a', actions: ['pull', 'push'] }, { repository: 'single/b', actions: ['pull', 'push'] }]);
    await push(h, g.hostPort, 'single/a', 0);
    await push(h, g.hostPort, 'single/b', 1);
    assert.ok(g.tokenRequests.length >= 2);
    assert.ok(g.tokenRequests.every((t) => t.scopes.length <= 1), JSON.stringify(g.tokenRequests));
  });

  it('reports rejected credentials by the auth-file key, without the password', async () => {
    const g = await gate({ auth: 'bearer', users: { bob: 'pw' } });
    await assert.rejects(push(hub({ auth: authFor(g.hostPort, 'bob', 'wrong-password') }), g.hostPort, 'x/y', 0), (e: Error) => {
      assert.match(e.message, new RegExp(`credentials for "${g.hostPort.replace(/\./g, '\\.')}" from \\S+ were rejected`));
      assert.doesNotMatch(e.message, /wrong-password/);
      return true;
    });
  });

  it('gets a new token when the registry answers 401 to a revoked one mid-run', async () => {
    const g = await gate({ auth: 'bearer' });
    const h = hub();
    await push(h, g.hostPort, 'revoke/a', 0);
    const before = g.tokenRequests.length;
    g.revokeTokens();
    await push(h, g.hostPort, 'revoke/b', 1);
    assert.ok(g.tokenRequests.length > before);
    assert.equal((await headManifest(upstream.url, 'revoke/b', 'v1')).digest, images[1]!.digest);
  });

  it('retries 429 (Retry-After), 503, connection resets and truncated blob bodies', async () => {
    const g = await gate({});
    const src = await gate({});
    // Seed the source side, then inject faults on both sides.
    await push(hub(), src.hostPort, 'faulty/src', 2);
    src.faults.push(
      { match: (m, p) => m === 'GET' && p.includes('/manifests/'), action: 429, retryAfter: '0', times: 2 },
      { match: (m, p) => m === 'GET' && p.includes('/blobs/'), action: 'truncate', times: 1 },
      { match: (m, p) => m === 'GET' && p.includes('/blobs/'), action: 'reset', times: 1 },
    );
    g.faults.push(
      { match: (m, p) => m === 'HEAD' && p.includes('/blobs/'), action: 503, times: 2 },
      { match: (m, p) => m === 'POST' && p.includes('/blobs/uploads'), action: 'reset', times: 1 },
      // The request that carries a blob's bytes: the PUT of a session, or the monolithic POST ?digest= (small blobs into airlock).
      { match: (m, p) => (m === 'PUT' && p.includes('/blobs/uploads')) || (m === 'POST' && p.includes('/blobs/uploads') && p.includes('digest=')), action: 502, times: 1 },
      { match: (m, p) => m === 'PUT' && p.includes('/manifests/'), action: 503, times: 1 },
    );
    const h = hub();
    const events: CopyEvent[] = [];
    const ctx = createCopyContext({ retry: FAST_RETRY, emit: (e) => events.push(e) });
    const r = await copyImage(ctx, h.source({ registry: src.hostPort, repository: 'faulty/src' }), 'v1', [{ dst: h.destination({ registry: g.hostPort, repository: 'faulty/dst' }), tag: 'v1' }]);
    assert.equal(r.targets[0]?.digest, images[2]!.digest);
    assert.equal((await headManifest(upstream.url, 'faulty/dst', 'v1')).digest, images[2]!.digest);
    assert.ok([...src.faults, ...g.faults].every((f) => f.times === 0), 'every fault fired');
    assert.ok(events.some((e) => e.type === 'retry'), 'whole-blob retries reported');
    assert.ok(h.totals().retries >= 4, `request-level retries: ${h.totals().retries}`);
  });

  it('gives up after the retry budget with the status in the error', async () => {
    const g = await gate({});
    g.faults.push({ match: (m, p) => m === 'HEAD' && p.includes('/manifests/'), action: 503, times: 100 });
    await assert.rejects(push(hub({ retry: { ...FAST_RETRY, times: 2 } }), g.hostPort, 'down/x', 0), /HTTP 503/);
    assert.equal(g.faults[0]!.times, 97, 'first attempt + 2 retries');
  });

  it('follows blob redirects without sending the registry credentials along', async () => {
    const g = await gate({ auth: 'bearer', users: { carol: 'pw' }, redirectBlobs: true });
    const h = hub({ auth: authFor(g.hostPort, 'carol', 'pw') });
    await push(h, g.hostPort, 'redirect/src', 3);
    const target = await startAirlock();
    try {
      const ctx = createCopyContext({ retry: FAST_RETRY });
      const r = await copyImage(ctx, h.source({ registry: g.hostPort, repository: 'redirect/src' }), 'v1', [{ dst: h.destination({ registry: target.hostPort, repository: 'redirect/dst' }), tag: 'v1' }]);
      assert.equal(r.targets[0]?.digest, images[3]!.digest);
      assert.equal(g.objectStoreRequests, 3, 'config + 2 layers fetched from the object store');
      assert.equal(g.objectStoreAuthorized, 0, 'no Authorization header followed the redirect');
    } finally {
      await target.close();
    }
  });

  it('lists tags across Link-paginated pages', async () => {
    const h = hub();
    const ctx = createCopyContext();
    const dst = h.destination({ registry: upstream.hostPort, repository: 'paged/tags' });
    const top = await layout.getManifest(images[0]!.ref);
    await copyImage(ctx, layout, images[0]!.ref, [{ dst, tag: 'seed' }]);
    for (let i = 0; i < 9; i++) await dst.putManifest(top, { tag: `t${i}` });
    const tags: string[] = [];
    for await (const t of h.client(upstream.hostPort).tagsList('paged/tags', undefined, 3)) tags.push(t);
    assert.deepEqual(tags.sort(), ['seed', ...Array.from({ length: 9 }, (_, i) => `t${i}`)].sort());
    const pages = (await fetch(`${upstream.url}/metrics`).then((r) => r.text())).split('\n').filter((l) => l.startsWith('airlock_http_requests_total{route="tags"'));
    assert.ok(pages.length > 0);
  });

  it('refuses plain http without --insecure and says so', async () => {
    const h = new RegistryHub({ retry: { ...FAST_RETRY, times: 0 } });
    hubs.push(h);
    await assert.rejects(h.source({ registry: upstream.hostPort, repository: 'x' }).getManifest('v1'), /cannot reach registry .*--insecure/);
  });
});

describe('resumable uploads', () => {
  it('resumes a chunked upload where the registry confirmed it, re-sending only the lost chunk', async () => {
    const work = await mkdtemp(join(tmpdir(), 'airlock-resume-'));
    const target = await startAirlock();
    const g = await startGateProxy({ upstream: target.url });
    const hub = new RegistryHub({ insecure: () => true, retry: FAST_RETRY, chunking: { threshold: 2 << 20, chunkSize: 3 << 20 } });
    try {
      const [img] = await writeTinyImages(join(work, 'layout'), 1, { layerSize: 10 << 20, seed: 'resume' });
      const layout = new OciLayoutSource(await OciLayout.open(join(work, 'layout'), { create: false }));
      // The third PATCH of the first layer dies after 1 MiB.
      let patches = 0;
      g.faults.push({ match: (m) => m === 'PATCH' && ++patches === 3, action: 'cut', times: 1 });
      const received = async (): Promise<number> => {
        const line = (await (await fetch(`${target.url}/metrics`)).text()).split('\n').find((l) => l.startsWith('airlock_http_received_bytes_total '));
        return Number(line?.split(' ')[1] ?? 0);
      };
      const before = await received();
      const events: CopyEvent[] = [];
      const r = await copyImage(createCopyContext({ retry: FAST_RETRY, emit: (e) => events.push(e), maxPerStore: 1 }), layout, img!.ref, [{ dst: hub.destination({ registry: g.hostPort, repository: 'resume/x' }), tag: 'v1' }]);
      assert.equal(r.targets[0]?.digest, img!.digest);
      assert.equal((await headManifest(target.url, 'resume/x', 'v1')).digest, img!.digest);
      assert.equal(events.filter((e) => e.type === 'retry').length, 1);
      // The session of the cut PATCH went on from where airlock said it stood, never from 0.
      const session = (path: string): string => /\/blobs\/uploads\/([^/?]+)/.exec(path)?.[1] ?? '';
      const cut = g.log.find((l) => l.method === 'PATCH' && l.status === 0)!;
      const same = g.log.filter((l) => session(l.path) === session(cut.path) && (l.method === 'PATCH' || l.method === 'PUT'));
      const starts = same.filter((l) => l.method === 'PATCH').map((l) => Number(l.contentRange!.split('-')[0]));
      const cutAt = Number(cut.contentRange!.split('-')[0]);
      assert.deepEqual(starts.slice(0, 3), [0, 3 << 20, cutAt]);
      assert.ok(starts.slice(3).every((x) => x >= cutAt), `resumed at or after ${cutAt}: ${starts}`);
      assert.equal(same.at(-1)?.method, 'PUT');
      assert.equal(same.at(-1)?.status, 201);
      const total = 2 * (10 << 20) + (1 << 20); // base + own layer + config, roughly
      assert.ok((await received()) - before < total + (2 << 20), 'only the lost chunk was re-sent');
    } finally {
      await hub.close();
      await g.close();
      await target.close();
      await rm(work, { recursive: true, force: true });
    }
  });
});

describe('resumable uploads against docker-registry', { skip: dockerGate.skip }, () => {
  it('completes after a cut chunk (resuming or restarting the session, as the registry allows)', async () => {
    if (dockerGate.failure !== undefined) assert.fail(dockerGate.failure);
    const work = await mkdtemp(join(tmpdir(), 'airlock-resume-dr-'));
    const target = await startDockerRegistry();
    const g = await startGateProxy({ upstream: target.url });
    const hub = new RegistryHub({ insecure: () => true, retry: FAST_RETRY, chunking: { threshold: 2 << 20, chunkSize: 3 << 20 } });
    try {
      const [img] = await writeTinyImages(join(work, 'layout'), 1, { layerSize: 10 << 20, seed: 'resume-dr' });
      const layout = new OciLayoutSource(await OciLayout.open(join(work, 'layout'), { create: false }));
      let patches = 0;
      g.faults.push({ match: (m) => m === 'PATCH' && ++patches === 3, action: 'cut', times: 1 });
      const r = await copyImage(createCopyContext({ retry: FAST_RETRY, maxPerStore: 1 }), layout, img!.ref, [{ dst: hub.destination({ registry: g.hostPort, repository: 'resume/x' }), tag: 'v1' }]);
      assert.equal(r.targets[0]?.digest, img!.digest);
      assert.deepEqual(await checkImageTree(target.url, 'resume/x', img!.digest), []);
    } finally {
      await hub.close();
      await g.close();
      await target.close();
      await rm(work, { recursive: true, force: true });
    }
  });
});
