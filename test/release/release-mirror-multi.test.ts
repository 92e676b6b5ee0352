/**
 * A multi-arch release (manifest lists for amd64/arm64/ppc64le/s390x):
 * --keep-manifest-list names it `<version>-multi` and keeps every list whole
 * (digests unchanged); without it the tag carries the platform read
 * (`--filter-by-os linux/arm64` → aarch64, s390x unchanged).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { makeSyntheticRelease, type SyntheticRelease } from '../fixtures/release-fixture.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { manifestRefs } from '../../src/copy/manifest-refs.js';
import { airlock, resolveTags } from './support.js';

describe('release mirror: multi-arch', () => {
  let up: AirlockHandle;
  let mirror: AirlockHandle;
  let rel: SyntheticRelease;

  before(async () => {
    [up, mirror] = await Promise.all([startAirlock(), startAirlock()]);
    rel = await makeSyntheticRelease({ registry: up.hostPort, multiArch: true, count: 16, cosign: ['cli'] });
  });
  after(async () => Promise.all([up?.close(), mirror?.close()]));

  it('--keep-manifest-list: <version>-multi tags, manifest lists kept whole with all four platforms', async () => {
    const repo = `${mirror.hostPort}/ocp4/multi`;
    const r = await airlock(['release', 'mirror', '--insecure', `--from=${rel.ref}`, `--to=${repo}`, '--keep-manifest-list', '--print-mirror-instructions=idms']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^\\nSuccess\\nUpdate image:  ${repo}:4\\.12\\.0-multi\\nMirror prefix: ${repo}\\n`));
    assert.match(r.stdout, /imageDigestSources:\n/);
    const tags = ['4.12.0-multi', ...rel.components.map((c) => `4.12.0-multi-${c.name}`)];
    assert.deepEqual(await resolveTags(mirror.hostPort, 'ocp4/multi', tags), [rel.digest, ...rel.components.map((c) => c.digest)]);
    const children = rel.components.flatMap((c) => c.children);
    assert.equal(children.length, 16 * 4);
    assert.ok((await resolveTags(mirror.hostPort, 'ocp4/multi', children)).every((d, i) => d === children[i]), 'every per-arch image is there');
    const hub = new RegistryHub({ insecure: () => true });
    try {
      const refs = manifestRefs(await hub.source({ registry: mirror.hostPort, repository: 'ocp4/multi' }).getManifest('4.12.0-multi'));
      assert.equal(refs.kind, 'index');
      if (refs.kind === 'index') assert.deepEqual(refs.children.map((c) => `${c.platform?.os}/${c.platform?.architecture}`), ['linux/amd64', 'linux/arm64', 'linux/ppc64le', 'linux/s390x']);
    } finally {
      await hub.close();
    }
    const cli = rel.components.find((c) => c.name === 'cli')!;
    const sigTags = [cli.digest, ...cli.children].map((d) => `${d.replace(':', '-')}.sig`);
    assert.ok((await resolveTags(mirror.hostPort, 'ocp4/multi', sigTags)).every((d) => d !== undefined), 'the list\'s .sig and each child\'s .sig');
  });

  it('--filter-by-os linux/arm64 without --keep-manifest-list: every per-arch tag holds the arm64 image, not the list (as oc)', async () => {
    const repo = `${mirror.hostPort}/ocp4/arm`;
    const r = await airlock(['release', 'mirror', '--insecure', `--from=${rel.ref}`, `--to=${repo}`, '--filter-by-os', 'linux/arm64']);
    assert.equal(r.code, 0, r.stderr);
    const arm = 1; // MULTI_ARCHES order: amd64, arm64, ppc64le, s390x
    const tags = rel.components.map((c) => `4.12.0-aarch64-${c.name}`);
    assert.deepEqual(await resolveTags(mirror.hostPort, 'ocp4/arm', tags), rel.components.map((c) => c.children[arm]));
    assert.deepEqual(await resolveTags(mirror.hostPort, 'ocp4/arm', rel.components.map((c) => c.children[0]!)), rel.components.map(() => undefined), 'no amd64 image copied');
    const hub = new RegistryHub({ insecure: () => true });
    try {
      const top = manifestRefs(await hub.source({ registry: mirror.hostPort, repository: 'ocp4/arm' }).getManifest('4.12.0-aarch64'));
      assert.equal(top.kind, 'image', 'the release tag is one image');
    } finally {
      await hub.close();
    }
  });

  it('without --keep-manifest-list the tag names the platform read: aarch64, s390x', async () => {
    for (const [os, suffix] of [['linux/arm64', 'aarch64'], ['linux/s390x', 's390x'], ['linux/amd64', 'x86_64']] as const) {
      const r = await airlock(['release', 'mirror', '--insecure', `--from=${rel.ref}`, `--to=${mirror.hostPort}/ocp4/per-arch`, '--filter-by-os', os, '--to-mirror']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.split('\n')[0], `${rel.ref} ${mirror.hostPort}/ocp4/per-arch:4.12.0-${suffix}`);
      assert.ok(r.stdout.includes(`:4.12.0-${suffix}-cli\n`));
    }
  });
});
