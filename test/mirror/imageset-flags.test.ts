/**
 * oc-mirror v2's flags of `airlock mirror` (issue 11 "Workflows", reference
 * §5.6) that the m2m suite does not cover: `--parallel-images` is the
 * number of images copied at once (a front before the destination holds
 * each image's first upload until a second image's arrives, and counts how
 * many images it saw at once), and `--retry-delay` set to a value is a
 * constant delay between retries, 0 (the default) exponential backoff;
 * `--remove-signatures` leaves cosign signatures behind.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { mirrorRetryPolicy } from '../../src/cli/commands/mirror-flags.js';
import { backoffDelay, DEFAULT_RETRY } from '../../src/transports/registry/retry.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { buildImageSet, pushImageSet } from '../fixtures/catalog/related-images.js';
import { airlock, resolveTags } from '../release/support.js';

/** A front that holds the first upload POST of each `extra/*` repository until another repository's is held too (or 1.5 s), recording the most held at once. */
async function rendezvousFront(upstream: string): Promise<{ hostPort: string; maxAtOnce: () => number; reset: () => void; close: () => Promise<void> }> {
  const [host, port] = upstream.split(':') as [string, string];
  const held = new Map<string, () => void>();
  const seen = new Set<string>();
  let max = 0;
  const server: Server = createServer((req, res) => {
    const forward = (): void => {
      const up = httpRequest({ host, port: Number(port), method: req.method, path: req.url, headers: req.headers }, (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    };
    const m = /^\/v2\/(.+\/extra\/[^/]+)\/blobs\/uploads\//.exec(req.url ?? '');
    if (req.method !== 'POST' || m === null || seen.has(m[1]!)) return forward();
    const repo = m[1]!;
    seen.add(repo);
    held.set(repo, forward);
    max = Math.max(max, held.size);
    const release = (): void => {
      for (const [r, go] of held) {
        held.delete(r);
        go();
      }
    };
    if (held.size >= 2) release();
    else setTimeout(() => { if (held.get(repo) === forward) { held.delete(repo); forward(); } }, 1500);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    hostPort: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    maxAtOnce: () => max,
    reset: () => { max = 0; seen.clear(); },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

describe('airlock mirror flags: --parallel-images, --retry-delay', () => {
  let work: string;
  let up: AirlockHandle;
  let mirror: AirlockHandle;
  let front: Awaited<ReturnType<typeof rendezvousFront>>;
  let isc: string;
  const names = ['one', 'two', 'three', 'four'];
  let sigTag: string;
  let sigDigest: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-imageset-flags-'));
    [up, mirror] = await Promise.all([startAirlock(), startAirlock()]);
    front = await rendezvousFront(mirror.hostPort);
    const hub = new RegistryHub({ insecure: () => true });
    try {
      for (const n of names) {
        const img = await buildImageSet(`flags ${n}`, false);
        await pushImageSet(hub.destination({ registry: up.hostPort, repository: `extra/${n}` }), img, 'v1');
        if (n === 'one') {
          sigTag = `sha256-${img.top.digest.slice('sha256:'.length)}.sig`;
          const sig = await buildImageSet('flags one signature', false);
          sigDigest = sig.top.digest;
          await pushImageSet(hub.destination({ registry: up.hostPort, repository: 'extra/one' }), sig, sigTag);
        }
      }
    } finally {
      await hub.close();
    }
    isc = join(work, 'isc.yaml');
    await writeFile(isc, `kind: ImageSetConfiguration\napiVersion: mirror.openshift.io/v2alpha1\nmirror:\n  additionalImages:\n${names.map((n) => `  - name: ${up.hostPort}/extra/${n}:v1\n`).join('')}`);
  });
  after(async () => {
    await Promise.all([up?.close(), mirror?.close(), front?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  const run = (prefix: string, extra: string[]) => airlock(['mirror', '-c', isc, '--workspace', `file://${work}/${prefix}`, `docker://${front.hostPort}/${prefix}`, '--src-tls-verify=false', '--dest-tls-verify=false', '--no-progress', ...extra], work);

  it('--parallel-images 4 (the default) copies several images at once; --parallel-images 1 one at a time', async () => {
    const many = await run('many', []);
    assert.equal(many.code, 0, many.stderr);
    assert.ok(front.maxAtOnce() >= 2, `images at once with --parallel-images 4: ${front.maxAtOnce()}`);
    front.reset();
    const one = await run('one', ['--parallel-images', '1']);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(front.maxAtOnce(), 1);
    for (const p of ['many', 'one']) {
      for (const n of names) assert.ok((await resolveTags(mirror.hostPort, `${p}/extra/${n}`, ['v1']))[0], `${p}/extra/${n}:v1 mirrored`);
    }
  });

  it('cosign signatures travel with the image by default; --remove-signatures leaves them out', async () => {
    assert.deepEqual(await resolveTags(mirror.hostPort, 'many/extra/one', [sigTag]), [sigDigest], 'copied by default (the run above)');
    const r = await run('nosig', ['--remove-signatures']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok((await resolveTags(mirror.hostPort, 'nosig/extra/one', ['v1']))[0]);
    assert.deepEqual(await resolveTags(mirror.hostPort, 'nosig/extra/one', [sigTag]), [undefined]);
  });

  it('--retry-delay: 0 is exponential backoff from the default base; a value is a constant delay', () => {
    const expo = mirrorRetryPolicy({ retryTimes: 5, retryDelay: 0 }, DEFAULT_RETRY);
    assert.equal(expo.times, 5);
    assert.equal(expo.delayMs, DEFAULT_RETRY.delayMs);
    assert.ok(backoffDelay(4, expo, undefined, () => 1) > backoffDelay(0, expo, undefined, () => 1) * 8, 'grows');
    const constant = mirrorRetryPolicy({ retryTimes: 2, retryDelay: 2000 }, DEFAULT_RETRY);
    assert.equal(constant.times, 2);
    for (const attempt of [0, 1, 4, 9]) {
      assert.equal(backoffDelay(attempt, constant, undefined, () => 1), 2000, `attempt ${attempt}: at most the delay`);
      assert.equal(backoffDelay(attempt, constant, undefined, () => 0), 1000, `attempt ${attempt}: jitter keeps at least half`);
    }
  });
});
