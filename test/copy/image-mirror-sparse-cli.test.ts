/**
 * Sparse platforms standalone: `airlock image mirror --filter-by-os RE
 * --sparse-manifest-list` into `airlock serve --sparse-repo` (a real
 * process) copies the manifest list byte for byte (digest unchanged) with
 * only the matching children, through the copy engine's sparseManifestList
 * option; `--keep-manifest-list` stays oc's (a new, filtered list); a
 * destination that refuses sparse lists is named before anything is copied.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { startAirlockProcess, type AirlockProcess } from '../helpers/airlock-process.js';
import { buildImageSet, pushImageSet, type BuiltImageSet } from '../fixtures/catalog/related-images.js';
import { airlock, resolveTags } from '../release/support.js';

describe('airlock image mirror --filter-by-os --sparse-manifest-list', () => {
  let work: string;
  let up: AirlockHandle;
  let serve: AirlockProcess;
  let multi: BuiltImageSet;
  const common = ['--src-tls-verify=false', '--dest-tls-verify=false', '--no-progress'];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-image-sparse-'));
    [up, serve] = await Promise.all([startAirlock(), startAirlockProcess({ args: ['--sparse-repo', 'sparse/**'] })]);
    multi = await buildImageSet('standalone sparse', true);
    const hub = new RegistryHub({ insecure: () => true });
    try {
      await pushImageSet(hub.destination({ registry: up.hostPort, repository: 'team/multi' }), multi, 'v1');
    } finally {
      await hub.close();
    }
  });
  after(async () => {
    await Promise.all([up?.close(), serve?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });
  const host = (): string => serve.url.replace(/^https?:\/\//, '');

  it('copies the list byte for byte (same digest) with only the matching child', async () => {
    const r = await airlock(['image', 'mirror', '--filter-by-os', 'linux/arm64', '--sparse-manifest-list', `${up.hostPort}/team/multi:v1`, `${host()}/sparse/multi:v1`, ...common], work);
    assert.equal(r.code, 0, r.stderr);
    const [amd64, arm64] = multi.manifests;
    assert.deepEqual(await resolveTags(host(), 'sparse/multi', ['v1', arm64!.digest, amd64!.digest]), [multi.top.digest, arm64!.digest, undefined]);
    const got = await fetch(`${serve.url}/v2/sparse/multi/manifests/v1`, { headers: { accept: multi.top.mediaType } });
    assert.equal(got.status, 200);
    assert.ok(Buffer.from(await got.arrayBuffer()).equals(multi.top.bytes), 'the list is the source list, byte for byte');
    assert.match(r.stdout, new RegExp(`^${multi.top.digest} `, 'm'));
  });

  it('--keep-manifest-list is oc\'s: a new filtered list (new digest)', async () => {
    const r = await airlock(['image', 'mirror', '--filter-by-os', 'linux/arm64', '--keep-manifest-list', `${up.hostPort}/team/multi:v1`, `${host()}/kept/multi:v1`, ...common], work);
    assert.equal(r.code, 0, r.stderr);
    const [digest] = await resolveTags(host(), 'kept/multi', ['v1']);
    assert.ok(digest !== undefined && digest !== multi.top.digest, 'a rewritten list');
  });

  it('a destination outside --sparse-repo is refused before anything is copied', async () => {
    const r = await airlock(['image', 'mirror', '--filter-by-os', 'linux/arm64', '--sparse-manifest-list', `${up.hostPort}/team/multi:v1`, `${host()}/strict/multi:v1`, ...common], work);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error: docker:\/\/127\.0\.0\.1:\d+\/strict\/multi: the registry refuses manifest lists with absent platforms .*which --sparse-manifest-list needs/m);
    assert.match(r.stderr, /drop --sparse-manifest-list/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.deepEqual(await resolveTags(host(), 'strict/multi', ['v1', multi.manifests[1]!.digest]), [undefined, undefined]);
  });

  it('flag misuse is one line', async () => {
    const a = await airlock(['image', 'mirror', '--sparse-manifest-list', `${up.hostPort}/team/multi:v1`, `${host()}/sparse/x:v1`, ...common], work);
    assert.notEqual(a.code, 0);
    assert.match(a.stderr, /--sparse-manifest-list needs --filter-by-os REGEX/);
    const b = await airlock(['image', 'mirror', '--filter-by-os', 'linux/arm64', '--sparse-manifest-list', '--keep-manifest-list', `${up.hostPort}/team/multi:v1`, `${host()}/sparse/x:v1`, ...common], work);
    assert.notEqual(b.code, 0);
    assert.match(b.stderr, /cannot be used together/);
  });
});
