/** The archive transport's text form: `archive://REPO[:TAG][@DIGEST]` round-trips; bad text is one precise error. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatImageReference, parseImageReference, repositoryText, selectorOf, withTag } from '../../src/transports/all.js';
import { openDestination, openSource } from '../../src/transports/open.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';

const D = `sha256:${'ab'.repeat(32)}`;

describe('archive:// references', () => {
  it('parse and format back; selectors and repository text', () => {
    for (const text of ['archive://openshift/release-images:4.18.2-x86_64', `archive://ops/bundles/etcd@${D}`, `archive://a/b:v1@${D}`, 'archive://extra/tools/app']) {
      const r = parseImageReference(text);
      assert.equal(r.transport, 'archive');
      assert.equal(formatImageReference(r), text);
      assert.deepEqual(parseImageReference(formatImageReference(r)), r);
    }
    const r = parseImageReference('archive://extra/tools/app:v1');
    assert.equal(repositoryText(r), 'archive://extra/tools/app');
    assert.deepEqual(selectorOf(r), { tag: 'v1', digest: undefined });
    assert.equal(formatImageReference(withTag(r, 'v2')), 'archive://extra/tools/app:v2');
  });

  it('refuses bad text naming the input', () => {
    assert.throws(() => parseImageReference('archive://'), /invalid image reference .*archive:\/\/.*: names no repository/);
    assert.throws(() => parseImageReference('archive://Upper/x'), /repository component "Upper" is not valid/);
    assert.throws(() => parseImageReference('archive://x@sha256:zz'), /is not a digest/);
    assert.throws(() => parseImageReference('archive://x:-bad'), /is not a valid tag/);
  });

  it('opening without an archive set open says which workflow opens one', async () => {
    const hub = new RegistryHub({});
    try {
      await assert.rejects(openDestination({ registries: hub }, parseImageReference('archive://x')), /archive:\/\/x: no archive set is open for writing \(archive:\/\/ destinations are written by mirror to disk\)/);
      await assert.rejects(openSource({ registries: hub }, parseImageReference('archive://x')), /no archive set is open for reading/);
    } finally {
      await hub.close();
    }
  });
});
