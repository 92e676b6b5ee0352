/**
 * A whole mirror run (runMirror, twelve images, chunked uploads) through the
 * fault-injecting gate proxy: first in front of the source, then in front of
 * the destination. Faults hit manifest GETs, blob GETs (status codes with
 * Retry-After, resets, truncated bodies, a server that never answers, a
 * body that stops mid-way), blob HEADs, mounts, upload POST/PATCH/PUT and
 * manifest PUTs. The mirror completes with every digest intact, and the
 * retries are reported.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { checkImageTree, headManifest } from '../interop/support/registry-api.js';
import { createCopyContext } from '../../src/copy/copy-context.js';
import { copyImage } from '../../src/copy/copy-image.js';
import type { CopyEvent } from '../../src/copy/events.js';
import { mappingsFromArgs } from '../../src/copy/mappings.js';
import { declareScopes, expandMappings, runMirror } from '../../src/copy/mirror.js';
import { MirrorReport } from '../../src/copy/mirror-report.js';
import { OciLayout } from '../../src/transports/oci-layout/layout.js';
import { OciLayoutSource } from '../../src/transports/oci-layout/layout-image.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { startGateProxy, type Fault, type GateProxy } from './support/gate-proxy.js';
import { writeTinyImages, type TinyImage } from './support/tiny-images.js';

const RETRY = { times: 10, delayMs: 5, maxDelayMs: 40, maxRetryAfterMs: 50 };
const N = 12;

const isManifest = (p: string): boolean => p.includes('/manifests/');
const isBlob = (p: string): boolean => /\/blobs\/sha256:/.test(p);
const fault = (match: Fault['match'], action: Fault['action'], times = 1, extra: Partial<Fault> = {}): Fault => ({ match, action, times, ...extra });

interface Run {
  events: CopyEvent[];
  report: MirrorReport;
  hubRetries: number;
}

describe('mirror through injected faults', () => {
  let work: string;
  let images: TinyImage[];
  let src: AirlockHandle;
  let dst: AirlockHandle;
  const gates: GateProxy[] = [];

  /** Mirrors `from/src/img-i:v1` → `to/<ns>/img-i` for every image, through one run. */
  const mirror = async (from: string, to: string, ns: string): Promise<Run> => {
    const events: CopyEvent[] = [];
    const report = new MirrorReport();
    const emit = (e: CopyEvent): void => {
      events.push(e);
      report.sink(e);
    };
    const hub = new RegistryHub({
      insecure: () => true,
      retry: RETRY,
      requestTimeoutMs: 1000,
      // Layers (~300 KB) go up as POST → 128 KiB PATCHes → PUT; configs as one PUT.
      chunking: { threshold: 256 << 10, chunkSize: 128 << 10 },
      onRetry: (r) => emit({ type: 'retry', ...r }),
    });
    try {
      const env = { registries: hub };
      const jobs = await expandMappings(env, mappingsFromArgs(images.map((_, i) => `${from}/src/img-${i}:v1=${to}/${ns}/img-${i}`)));
      declareScopes(env, jobs);
      const copy = createCopyContext({ retry: RETRY, emit, maxPerStore: 4 });
      const r = await runMirror(jobs, { env, copy, parallelImages: 6 });
      assert.deepEqual(r.errors, []);
      assert.equal(r.images.length, N);
      return { events, report, hubRetries: hub.totals().retries };
    } finally {
      await hub.close();
    }
  };

  const assertMirrored = async (ns: string): Promise<void> => {
    for (const [i, img] of images.entries()) {
      assert.equal((await headManifest(dst.url, `${ns}/img-${i}`, 'v1')).digest, img.digest, `${ns}/img-${i}`);
      assert.deepEqual(await checkImageTree(dst.url, `${ns}/img-${i}`, img.digest), [], `${ns}/img-${i}`);
    }
  };

  const assertAllFired = (g: GateProxy): void => {
    const left = g.faults.filter((f) => f.times > 0).map((f) => `${f.action} x${f.times}`);
    assert.deepEqual(left, [], 'every injected fault was hit');
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-faults-'));
    images = await writeTinyImages(join(work, 'layout'), N, { layerSize: 300_000, seed: 'faults' });
    [src, dst] = await Promise.all([startAirlock(), startAirlock()]);
    const layout = new OciLayoutSource(await OciLayout.open(join(work, 'layout'), { create: false }));
    const hub = new RegistryHub({ insecure: () => true });
    const ctx = createCopyContext();
    for (const [i, img] of images.entries()) await copyImage(ctx, layout, img.ref, [{ dst: hub.destination({ registry: src.hostPort, repository: `src/img-${i}` }), tag: 'v1' }]);
    await hub.close();
  });

  after(async () => {
    await Promise.all(gates.map((g) => g.close()));
    await Promise.all([src?.close(), dst?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('in front of the source: 429/503 with Retry-After, resets, truncated and stalled bodies, silent servers', async () => {
    const g = await startGateProxy({ upstream: src.url });
    gates.push(g);
    const get = (test: (p: string) => boolean) => (m: string, p: string) => m === 'GET' && test(p);
    // Body faults only bite on bodies longer than what they let through: layers (~300 KB), not configs.
    const layers = new Set(images.flatMap((i) => i.blobs.slice(1)));
    const isLayer = (p: string): boolean => isBlob(p) && layers.has(p.slice(p.lastIndexOf('/') + 1));
    g.faults.push(
      fault(get(isManifest), 429, 2, { retryAfter: '1' }),
      fault(get(isManifest), 'reset'),
      fault(get(isManifest), 'stall'),
      fault(get(isManifest), 503),
      fault(get(isBlob), 503, 2, { retryAfter: '1' }),
      fault(get(isBlob), 'reset'),
      fault(get(isLayer), 'truncate'),
      fault(get(isBlob), 'stall'),
      fault(get(isLayer), 'hang', 1, { bytes: 100_000 }),
      fault(get(isLayer), 'hang', 1, { bytes: 0 }),
    );
    const run = await mirror(g.hostPort, dst.hostPort, 'from-faulty-source');
    assertAllFired(g);
    await assertMirrored('from-faulty-source');
    const retries = run.events.filter((e): e is Extract<CopyEvent, { type: 'retry' }> => e.type === 'retry');
    assert.ok(retries.length >= 11, `every fault led to a retry (${retries.length})`);
    assert.ok(run.hubRetries >= 5, 'manifest requests were retried by the transport');
    assert.ok(retries.some((r) => /TIMEOUT|timeout/i.test(r.error)), `a stalled request was detected by a timeout: ${retries.map((r) => r.error).join(' | ')}`);
    assert.equal(run.report.stats.retries, retries.length);
    // Progress took back the bytes of failed attempts: what moved equals what was uploaded.
    assert.equal(run.report.bytesStreamed, run.report.stats.bytesTransferred);
  });

  it('in front of the destination: HEAD, mount, upload POST/PATCH/PUT and manifest PUT faults, including stalls', async () => {
    const g = await startGateProxy({ upstream: dst.url });
    gates.push(g);
    const is = (method: string, test: (p: string) => boolean) => (m: string, p: string) => m === method && test(p);
    const uploadStart = (p: string): boolean => /\/blobs\/uploads\/$/.test(p);
    const mount = (p: string): boolean => p.includes('mount=');
    const commit = (p: string): boolean => p.includes('/blobs/uploads/') && p.includes('digest=');
    g.faults.push(
      fault(is('HEAD', isBlob), 500),
      fault(is('HEAD', isBlob), 'reset'),
      fault(is('POST', mount), 'reset'),
      fault(is('POST', mount), 503),
      fault(is('POST', uploadStart), 503, 1, { retryAfter: '1' }),
      fault(is('POST', uploadStart), 'reset'),
      fault(is('PATCH', () => true), 'reset'),
      fault((m, _p, h) => m === 'PATCH' && Number(h['content-length']) > 64 << 10, 'cut', 1, { bytes: 64 << 10 }),
      fault(is('PATCH', () => true), 'stall'),
      fault(is('PATCH', () => true), 500),
      fault(is('PUT', commit), 500),
      fault(is('PUT', commit), 'stall'),
      fault(is('PUT', isManifest), 429, 1, { retryAfter: '1' }),
      fault(is('PUT', isManifest), 'reset'),
      fault(is('PUT', isManifest), 'stall'),
    );
    const run = await mirror(src.hostPort, g.hostPort, 'to-faulty-destination');
    assertAllFired(g);
    await assertMirrored('to-faulty-destination');
    const retries = run.events.filter((e) => e.type === 'retry');
    assert.ok(retries.length >= 15, `every fault led to a retry (${retries.length})`);
    assert.ok(run.report.stats.blobs.mounted > 0, 'the shared layer was mounted despite the faults');
    assert.equal(run.report.stats.blobs.uploaded, 2 * N + 1, 'each unique blob crossed once (configs, own layers, one base layer)');
  });
});
