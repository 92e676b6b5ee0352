/** Unit tests: placeholder patching across chunks, tar path safety, digest mirror candidates, YAML scalars, versions, target selection. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { PlaceholderPatcher, patchBuffer, RELEASE_IMAGE_MARKER, RELEASE_VERSION_MARKER } from '../../src/release/binary-patch.js';
import { safeEntryPath } from '../../src/extract/layer-tar.js';
import { parseMirrorPolicy, pullCandidates } from '../../src/release/mirror-policy.js';
import { mirrorSets } from '../../src/mirror/resources/mirror-sets.js';
import { installConfigSnippet } from '../../src/mirror/resources/install-config.js';
import { yamlScalar } from '../../src/mirror/resources/yaml.js';
import { sortVersions } from '../../src/release/release-metadata.js';
import { parseCommandOs, selectTargets } from '../../src/release/extract-targets.js';
import { componentsOf, buildImageStream, parseImageReferences } from '../../src/release/image-references.js';
import { formatImageName, parseRegistryRef } from '../../src/reference/image-name.js';
import { fetchSignatures, signatureConfigMapJson, signatureFileName, verificationStores } from '../../src/release/signatures.js';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

async function patchInChunks(data: Buffer, size: number, value: string): Promise<{ out: Buffer; missing: string[] }> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) chunks.push(data.subarray(i, i + size));
  const p = new PlaceholderPatcher([{ name: 'release image', marker: RELEASE_IMAGE_MARKER, value }, { name: 'release version', marker: RELEASE_VERSION_MARKER, value: '4.12.0' }]);
  const out: Buffer[] = [];
  for await (const c of Readable.from(chunks).pipe(p) as AsyncIterable<Buffer>) out.push(c);
  return { out: Buffer.concat(out), missing: p.missing() };
}

describe('release units', () => {
  it('patches markers that straddle chunk boundaries, at any chunk size, like the whole-buffer patch', async () => {
    const data = Buffer.concat([Buffer.alloc(4090, 1), RELEASE_IMAGE_MARKER, Buffer.alloc(77, 2), RELEASE_VERSION_MARKER, Buffer.alloc(10, 3)]);
    const want = patchBuffer(data, [{ name: 'release image', marker: RELEASE_IMAGE_MARKER, value: 'r.example/x@sha256:abc' }, { name: 'release version', marker: RELEASE_VERSION_MARKER, value: '4.12.0' }]).data;
    assert.equal(want.indexOf('r.example/x@sha256:abc\0'), 4090, 'written from the leading NUL on');
    for (const size of [1, 7, 100, 4096, 65536]) {
      const r = await patchInChunks(data, size, 'r.example/x@sha256:abc');
      assert.deepEqual(r.out, want, `chunk ${size}`);
      assert.deepEqual(r.missing, []);
    }
    const none = await patchInChunks(Buffer.alloc(9000, 7), 1000, 'x');
    assert.deepEqual(none.out, Buffer.alloc(9000, 7));
    assert.deepEqual(none.missing, ['release image', 'release version']);
    assert.throws(() => new PlaceholderPatcher([{ name: 'release image', marker: RELEASE_IMAGE_MARKER, value: 'x'.repeat(327) }]), /has 327 bytes, but the maximum replacement length is 326/);
  });

  it('tar names: absolute and ".." refused, "./" normalized', () => {
    assert.equal(safeEntryPath('./usr//bin/./oc'), 'usr/bin/oc');
    assert.throws(() => safeEntryPath('/etc/passwd'), /absolute/);
    assert.throws(() => safeEntryPath('usr/../../etc'), /climbs out/);
  });

  it('digest mirrors: mirrors in order then the source; prefixes; tags untouched; NeverContactSource', () => {
    const policy = parseMirrorPolicy(
      `apiVersion: config.openshift.io/v1
kind: ImageDigestMirrorSet
metadata: {name: a}
spec:
  imageDigestMirrors:
  - mirrors: [m1.local/ocp4/openshift4, m2.local/ocp]
    source: quay.io/openshift-release-dev/ocp-v4.0-art-dev
  - mirrors: [m3.local/mirror]
    source: registry.redhat.io
    mirrorSourcePolicy: NeverContactSource
---
apiVersion: operator.openshift.io/v1alpha1
kind: ImageContentSourcePolicy
metadata: {name: b}
spec:
  repositoryDigestMirrors:
  - mirrors: [m4.local/ocp4]
    source: quay.io/openshift-release-dev/ocp-v4.0-art-dev
`,
      'idms.yaml',
    );
    const d = `sha256:${'c'.repeat(64)}`;
    const names = (ref: string): string[] => pullCandidates(parseRegistryRef(ref), policy).map(formatImageName);
    assert.deepEqual(names(`quay.io/openshift-release-dev/ocp-v4.0-art-dev@${d}`), [`m1.local/ocp4/openshift4@${d}`, `m2.local/ocp@${d}`, `m4.local/ocp4@${d}`, `quay.io/openshift-release-dev/ocp-v4.0-art-dev@${d}`]);
    assert.deepEqual(names(`registry.redhat.io/ubi9/ubi@${d}`), [`m3.local/mirror/ubi9/ubi@${d}`]);
    assert.deepEqual(names('quay.io/openshift-release-dev/ocp-v4.0-art-dev:latest'), ['quay.io/openshift-release-dev/ocp-v4.0-art-dev:latest']);
    assert.deepEqual(names(`quay.io/other/repo@${d}`), [`quay.io/other/repo@${d}`]);
    assert.throws(() => parseMirrorPolicy('kind: Deployment\n', 'x.yaml'), /expected ImageDigestMirrorSet or ImageContentSourcePolicy, got Deployment/);
  });

  it('instructions: sources deduplicated and sorted, YAML scalars quoted only when needed', () => {
    const sets = mirrorSets(['b.io/x', 'a.io/y', 'b.io/x'], ['m:5000/r', 'm:5000/r']);
    assert.equal(installConfigSnippet(sets, 'icsp'), 'imageContentSources:\n- mirrors:\n  - m:5000/r\n  source: a.io/y\n- mirrors:\n  - m:5000/r\n  source: b.io/x\n');
    assert.equal(yamlScalar('127.0.0.1:5000/ocp4/openshift4'), '127.0.0.1:5000/ocp4/openshift4');
    assert.equal(yamlScalar('[::1]:5000/ocp4'), "'[::1]:5000/ocp4'");
    assert.equal(yamlScalar('true'), "'true'");
  });

  it('versions sort semantically; signature file names and ConfigMap keys', () => {
    assert.deepEqual(sortVersions(['4.12.0', '4.11.12', '4.12.0-rc.8', '4.11.2', '4.12.0-rc.10']), ['4.11.2', '4.11.12', '4.12.0-rc.8', '4.12.0-rc.10', '4.12.0']);
    const d = `sha256:${'0123456789abcdef'.repeat(4)}`;
    assert.equal(signatureFileName(d), 'signature-sha256-0123456789abcdef.json');
    assert.match(signatureConfigMapJson(d, [Buffer.from('s')]), /"binaryData":\{"sha256-0123456789abcdef[0-9a-f]{48}-1":"cw=="\}\}\n$/);
  });

  it('extract targets: --command-os parsing and oc\'s selection rules', () => {
    assert.deepEqual(parseCommandOs('mac', { os: 'linux', arch: 'amd64' }), { os: 'darwin', arch: 'amd64', all: false });
    assert.throws(() => parseCommandOs('linux/arm64/v8', { os: 'linux', arch: 'amd64' }), /invalid --command-os/);
    const pick = (cmd: string, os: string, arch: string): string[] => selectTargets(cmd, { os, arch, all: false }, 'amd64').map((t) => `${t.image}:${t.path}`);
    assert.deepEqual(pick('openshift-install', 'linux', 'amd64'), ['installer:usr/bin/openshift-install']);
    assert.deepEqual(pick('openshift-install', 'linux', 'arm64'), ['installer-artifacts:usr/share/openshift/linux_arm64/openshift-install']);
    assert.deepEqual(pick('openshift-install', 'darwin', 'arm64'), ['installer-artifacts:usr/share/openshift/mac_arm64/openshift-install']);
    assert.throws(() => selectTargets('openshift-install', { os: 'windows', arch: 'amd64', all: false }, 'amd64'), /is not available for windows\/amd64/);
  });

  it('image-references: oc\'s rejections', () => {
    assert.throws(() => parseImageReferences('{"kind":"ImageStream","apiVersion":"v1"}'), /^Error: unrecognized image-references in release payload$/);
    const is = buildImageStream('4.12.0', [{ name: 'etcd', pullSpec: 'quay.io/a/b' }]);
    assert.throws(() => componentsOf(is), /image-references should only contain pointers to images by digest: quay\.io\/a\/b/);
  });

  it('signature stores: a local directory in the sigstore layout (path or file:// URL), first store with signatures wins', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airlock-sigdir-'));
    try {
      const d = `sha256:${'ab'.repeat(32)}`;
      await mkdir(join(dir, `sha256=${'ab'.repeat(32)}`), { recursive: true });
      await writeFile(join(dir, `sha256=${'ab'.repeat(32)}`, 'signature-1'), 'one');
      await writeFile(join(dir, `sha256=${'ab'.repeat(32)}`, 'signature-2'), 'two');
      const empty = join(dir, 'empty');
      await mkdir(empty);
      const got = await fetchSignatures([empty, pathToFileURL(dir).href], d);
      assert.deepEqual(got.signatures.map(String), ['one', 'two']);
      assert.equal(got.store, pathToFileURL(dir).href);
      assert.deepEqual(got.warnings, [`no release image signatures for ${d} in ${empty}`]);
      const stores = verificationStores(new Map([['a.yaml', Buffer.from('kind: ConfigMap\nmetadata:\n  annotations:\n    release.openshift.io/verification-config-map: ""\ndata:\n  store-b: https://b\n  store-a: https://a\n  verifier-public-key-x: k\n')]]));
      assert.deepEqual(stores, ['https://a', 'https://b']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
