import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatImageName, parseImageName, parseRegistryRef, tagGlobMatcher, type ImageName } from '../../src/reference/image-name.js';
import { formatImageReference, parseImageReference, type ImageReference } from '../../src/transports/all.js';
import { prng } from './support/prng.js';

const D = `sha256:${'ab'.repeat(32)}`;

describe('image names', () => {
  const cases: [string, Partial<ImageName>][] = [
    ['127.0.0.1:5000/ocp4/openshift4:4.12.0-x86_64-etcd', { registry: '127.0.0.1:5000', repository: 'ocp4/openshift4', tag: '4.12.0-x86_64-etcd' }],
    ['[::1]:5000/a/b/c@' + D, { registry: '[::1]:5000', repository: 'a/b/c', tag: undefined, digest: D as never }],
    ['localhost/x:v1@' + D, { registry: 'localhost', repository: 'x', tag: 'v1', digest: D as never }],
    ['localhost:5000/x', { registry: 'localhost:5000', repository: 'x', tag: undefined }],
    ['quay.io/openshift-release-dev/ocp-v4.0-art-dev', { registry: 'quay.io', repository: 'openshift-release-dev/ocp-v4.0-art-dev' }],
    ['openshift/release:4.12.0', { registry: undefined, repository: 'openshift/release', tag: '4.12.0' }],
    ['Registry/x', { registry: 'Registry', repository: 'x' }],
    ['a__b/c--d.e_f:T_1', { registry: undefined, repository: 'a__b/c--d.e_f', tag: 'T_1' }],
  ];
  for (const [s, want] of cases) {
    it(`parses ${s}`, () => {
      const n = parseImageName(s);
      for (const [k, v] of Object.entries(want)) assert.equal(n[k as keyof ImageName], v, k);
      assert.equal(formatImageName(n), s);
    });
  }

  const bad = ['', ':v1', '127.0.0.1:5000/', '127.0.0.1:5000/UPPER', 'host:99999/x', 'a/b:', 'a/b:-x', `a@sha256:${'0'.repeat(63)}`, 'a@md5:00', 'a//b', 'a/../b', '[zz]:5/x', 'a:b/c', 'reg.io/x:' + 'a'.repeat(129)];
  for (const s of bad) it(`rejects ${JSON.stringify(s)}`, () => assert.throws(() => parseImageName(s), /invalid image reference/));

  it('quotes the input on one line, cut to a bounded length (found by test/fuzz)', () => {
    const msg = (s: string): string => {
      try {
        parseImageName(s);
      } catch (e) {
        return (e as Error).message;
      }
      return assert.fail(`accepted ${JSON.stringify(s)}`);
    };
    assert.equal(msg('reg.io/a\nb:v1'), 'invalid image reference "reg.io/a\\nb:v1": invalid repository name "a\\nb" (lowercase letters, digits, separators . _ __ - and / between components)');
    assert.match(msg('a:\u2028'), /^invalid image reference "a:\\u2028": invalid tag "\\u2028"$/);
    assert.match(msg(`a@sha256:\r${'0'.repeat(63)}`), /^invalid image reference "a@sha256:\\r0+": invalid digest "sha256:\\r0+": sha256 needs 64 lowercase hex characters$/);
    const long = msg(`reg.io/${'a'.repeat(250)}!:${'T'.repeat(300)}`);
    assert.ok(long.length < 400, `${long.length} characters`);
    assert.match(long, /^invalid image reference "reg\.io\/a{190}\.\.\.": invalid tag "T{77}\.\.\."$/);
  });

  it('requires a host for registry references', () => {
    assert.throws(() => parseRegistryRef('openshift/release:4.12'), /no registry host/);
    assert.equal(parseRegistryRef('[::1]:5000/x').registry, '[::1]:5000');
  });

  it('accepts tag globs only when asked', () => {
    assert.throws(() => parseImageName('127.0.0.1:5000/r:4.12*'));
    assert.equal(parseImageName('127.0.0.1:5000/r:4.12*', { allowTagGlob: true }).tag, '4.12*');
    const m = tagGlobMatcher('4.12*');
    assert.deepEqual(['4.12.0', '4.12', '4.13.0', 'x4.12'].filter(m), ['4.12.0', '4.12']);
    assert.deepEqual(['a.b', 'axb'].filter(tagGlobMatcher('a.*')), ['a.b']);
  });

  it('round-trips 2000 generated names (parse ∘ format = id)', () => {
    const r = prng(20240101);
    const alnum = 'abcdefghijklmnopqrstuvwxyz0123456789';
    const word = (n: number): string => Array.from({ length: 1 + r.int(n) }, () => r.pick([...alnum])).join('');
    const component = (): string => {
      let c = word(6);
      while (r.chance(0.3)) c += r.pick(['.', '_', '__', '-', '--']) + word(4);
      return c;
    };
    const hosts = (): string | undefined =>
      r.pick([undefined, 'localhost', `localhost:${1 + r.int(65535)}`, `127.0.0.1:${1 + r.int(65535)}`, '[::1]', `[::1]:${1 + r.int(65535)}`, `${word(5)}.${word(3)}`, `${word(4)}.example.com:5000`]);
    for (let i = 0; i < 2000; i++) {
      const registry = hosts();
      const repository = Array.from({ length: 1 + r.int(4) }, component).join('/');
      const tag = r.chance(0.6) ? r.pick(['_', 'A', '4']) + Array.from({ length: r.int(20) }, () => r.pick([...'aZ09._-'])).join('') : undefined;
      const digest = r.chance(0.4) ? (`sha256:${Array.from({ length: 64 }, () => r.pick([...'0123456789abcdef'])).join('')}` as never) : undefined;
      // A host-less single name whose first component looks like a host would parse differently.
      const n: ImageName = { registry, repository, tag, digest };
      const s = formatImageName(n);
      if (registry === undefined && repository.includes('/') && repository.split('/')[0]!.includes('.')) continue;
      assert.deepEqual(parseImageName(s), n, s);
    }
  });
});

describe('transport references', () => {
  const ok: [string, Partial<ImageReference> & Record<string, unknown>][] = [
    ['docker://127.0.0.1:5000/a/b:v1', { transport: 'docker', explicit: true }],
    ['127.0.0.1:5000/a/b@' + D, { transport: 'docker', explicit: false }],
    ['oci:/tmp/layout', { transport: 'oci', path: '/tmp/layout', refName: undefined }],
    ['oci:/tmp/layout:big-v1', { transport: 'oci', path: '/tmp/layout', refName: 'big-v1' }],
    ['oci:rel/dir:quay.io/x:y', { transport: 'oci', path: 'rel/dir', refName: 'quay.io/x:y' }],
    ['oci:/tmp/l:@' + D, { transport: 'oci', path: '/tmp/l', digest: D as never }],
    ['file://openshift/release:4.12.0*', { transport: 'file', leadingSlash: false }],
    ['file:///local/index/my/image:latest', { transport: 'file', leadingSlash: true }],
  ];
  for (const [s, want] of ok) {
    it(`parses and formats ${s}`, () => {
      const r = parseImageReference(s, { allowTagGlob: true });
      for (const [k, v] of Object.entries(want)) assert.deepEqual((r as unknown as Record<string, unknown>)[k], v, k);
      assert.equal(formatImageReference(r), s);
    });
  }
  it('keeps the repository of file:// names without a host', () => {
    const r = parseImageReference('file:///local/index/my/image:latest');
    assert.equal(r.transport === 'file' && r.name.repository, 'local/index/my/image');
  });
  const bad = ['openshift/release:4.12', 'docker://x', 'oci:', 'oci::ref', 'oci:/p:bad ref', 'oci:/p:@sha256:00', 'dir:/tmp/x', 's3://bucket/x', 'http://host/x'];
  for (const s of bad) it(`rejects ${s}`, () => assert.throws(() => parseImageReference(s), /invalid image reference/));
});
