/**
 * The one manifest and descriptor model (src/oci/manifest.ts,
 * src/oci/descriptor.ts): table tests of valid and invalid manifests of each
 * kind, in both modes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { digestOf } from '../../src/oci/digest.js';
import { ManifestInvalidError, parseDescriptor, parsePlatform, platformString, type ParseMode } from '../../src/oci/descriptor.js';
import { blobsOf, childrenOf, effectiveArtifactType, mediaTypeByShape, parseManifest } from '../../src/oci/manifest.js';
import { MediaType } from '../../src/oci/media-types.js';

const D1 = digestOf('one');
const D2 = digestOf('two');
const D3 = digestOf('three');
const cfg = { mediaType: MediaType.OciConfig, digest: D1, size: 3 };
const layer = { mediaType: MediaType.OciLayerGzip, digest: D2, size: 3 };
const foreign = { mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', digest: D3, size: 5, urls: ['https://example.com/l'] };
const oci = { schemaVersion: 2, mediaType: MediaType.OciManifest, config: cfg, layers: [layer] };
const docker = { schemaVersion: 2, mediaType: MediaType.DockerManifest, config: { ...cfg, mediaType: MediaType.DockerConfig }, layers: [{ ...layer, mediaType: MediaType.DockerLayerGzip }, foreign] };
const child = (arch: string, variant?: string) => ({ mediaType: MediaType.OciManifest, digest: digestOf(arch), size: 100, platform: { os: 'linux', architecture: arch, ...(variant ? { variant } : {}) } });
const index = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [child('amd64'), child('arm64', 'v8')] };
const list = { schemaVersion: 2, mediaType: MediaType.DockerManifestList, manifests: [{ ...child('amd64'), mediaType: MediaType.DockerManifest }] };

const bytes = (v: unknown): Buffer => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
const without = (o: Record<string, unknown>, k: string): Record<string, unknown> => Object.fromEntries(Object.entries(o).filter(([key]) => key !== k));

function refused(body: unknown, declared: string, mode: ParseMode, message: RegExp): void {
  assert.throws(
    () => parseManifest(bytes(body), declared, mode),
    (e: unknown) => e instanceof ManifestInvalidError && e.code === 'MANIFEST_INVALID' && message.test(e.message),
    `${mode} ${JSON.stringify(body).slice(0, 120)} as ${declared}: expected ${message}`,
  );
}

describe('oci manifest model: valid manifests', () => {
  const table: [string, unknown, string, 'image' | 'index', string][] = [
    ['OCI image manifest', oci, MediaType.OciManifest, 'image', MediaType.OciManifest],
    ['OCI image, generic Content-Type', oci, 'application/json', 'image', MediaType.OciManifest],
    ['OCI image without mediaType, by Content-Type', without(oci, 'mediaType'), MediaType.OciManifest, 'image', MediaType.OciManifest],
    ['OCI image without mediaType or Content-Type', without(oci, 'mediaType'), '', 'image', MediaType.OciManifest],
    ['Content-Type with parameters', oci, `${MediaType.OciManifest}; charset=utf-8`, 'image', MediaType.OciManifest],
    ['Docker schema 2 with a foreign layer', docker, MediaType.DockerManifest, 'image', MediaType.DockerManifest],
    ['OCI index with platforms', index, MediaType.OciIndex, 'index', MediaType.OciIndex],
    ['OCI index without mediaType, by shape', without(index, 'mediaType'), '', 'index', MediaType.OciIndex],
    ['Docker manifest list', list, MediaType.DockerManifestList, 'index', MediaType.DockerManifestList],
  ];
  for (const mode of ['strict', 'lenient'] as const) {
    for (const [what, body, declared, kind, mediaType] of table) {
      it(`${mode}: ${what}`, () => {
        const m = parseManifest(bytes(body), declared, mode);
        assert.equal(m.kind, kind);
        assert.equal(m.mediaType, mediaType);
        assert.deepEqual(m.document, JSON.parse(JSON.stringify(body)));
      });
    }
  }

  it('exposes config, layers (foreign ones too), and the blobs a registry must hold (without foreign layers)', () => {
    const m = parseManifest(bytes(docker), MediaType.DockerManifest, 'strict');
    assert.equal(m.kind, 'image');
    if (m.kind !== 'image') return;
    assert.equal(m.config.digest, D1);
    assert.deepEqual(m.layers.map((l) => l.digest), [D2, D3]);
    assert.deepEqual(m.layers[1]!.urls, ['https://example.com/l']);
    assert.deepEqual(blobsOf(m).map((b) => b.digest), [D1, D2]);
    assert.deepEqual(childrenOf(m), []);
  });

  it('exposes the children of an index with their platforms', () => {
    const m = parseManifest(bytes(index), MediaType.OciIndex, 'strict');
    assert.deepEqual(childrenOf(m).map((c) => platformString(c.platform)), ['linux/amd64', 'linux/arm64/v8']);
    assert.deepEqual(blobsOf(m), []);
  });

  it('exposes subject, artifactType and annotations; the effective artifact type falls back to the config media type', () => {
    const subject = { mediaType: MediaType.OciManifest, digest: D3, size: 10 };
    const art = { ...oci, artifactType: 'application/vnd.example.sbom', subject, annotations: { 'org.example': 'x' } };
    const m = parseManifest(bytes(art), MediaType.OciManifest, 'strict');
    assert.deepEqual(m.subject, subject);
    assert.equal(m.artifactType, 'application/vnd.example.sbom');
    assert.equal(effectiveArtifactType(m), 'application/vnd.example.sbom');
    assert.deepEqual(m.annotations, { 'org.example': 'x' });
    assert.equal(effectiveArtifactType(parseManifest(bytes(oci), MediaType.OciManifest, 'strict')), MediaType.OciConfig);
    assert.equal(effectiveArtifactType(parseManifest(bytes(docker), MediaType.DockerManifest, 'strict')), undefined);
    const referrerIndex = { ...index, artifactType: 'application/vnd.example.sig', subject };
    const r = parseManifest(bytes(referrerIndex), MediaType.OciIndex, 'strict');
    assert.equal(r.subject?.digest, D3);
    assert.equal(effectiveArtifactType(r), 'application/vnd.example.sig');
  });

  it('accepts embedded data that matches size and digest', () => {
    const data = Buffer.from('{}');
    const withData = { ...oci, config: { mediaType: MediaType.OciEmpty, digest: digestOf(data), size: 2, data: data.toString('base64') } };
    const m = parseManifest(bytes(withData), MediaType.OciManifest, 'strict');
    assert.equal(m.kind === 'image' && m.config.data, 'e30=');
  });
});

describe('oci manifest model: strict refusals (MANIFEST_INVALID)', () => {
  const S = MediaType.OciManifest;
  const table: [string, unknown, string, RegExp][] = [
    ['not JSON', 'this is not a manifest', S, /^manifest is not valid JSON/],
    ['a JSON array', [], S, /^manifest must be a JSON object$/],
    ['duplicate key', '{"schemaVersion":2,"schemaVersion":2}', S, /^duplicate key "schemaVersion" at line 1, column 20$/],
    ['nested duplicate key', `{"schemaVersion":2,"mediaType":"${S}","config":{"mediaType":"a","digest":"${D1}","digest":"${D2}","size":3},"layers":[]}`, S, /^duplicate key "digest" at line 1/],
    ['schema 1 by Content-Type', oci, MediaType.DockerSchema1Signed, /^Docker schema 1 manifests are not supported/],
    ['schema 1 by schemaVersion', { ...oci, schemaVersion: 1 }, S, /^Docker schema 1/],
    ['mediaType differs from Content-Type', oci, MediaType.DockerManifest, /does not match the Content-Type/],
    ['index body declared as an image', index, S, /does not match the Content-Type/],
    ['unknown media type', { ...oci, mediaType: 'text/plain' }, '', /^unsupported manifest media type text\/plain/],
    ['schemaVersion 3', { ...oci, schemaVersion: 3 }, S, /^schemaVersion must be 2$/],
    ['schemaVersion missing', without(oci, 'schemaVersion'), S, /^schemaVersion must be 2$/],
    ['no config', without(oci, 'config'), S, /^config must be a descriptor object$/],
    ['no layers', without(oci, 'layers'), S, /needs a "layers" array/],
    ['an image with manifests', { ...oci, manifests: [] }, S, /must not have a "manifests" array/],
    ['an index with layers', { ...index, layers: [] }, MediaType.OciIndex, /must not have config or layers/],
    ['an index without manifests', without(index, 'manifests'), MediaType.OciIndex, /needs a "manifests" array/],
    ['bad digest', { ...oci, layers: [{ ...layer, digest: 'sha256:abc' }] }, S, /^layers\[0\]\.digest is not a valid sha256\/sha512 digest$/],
    ['uppercase digest', { ...oci, config: { ...cfg, digest: D1.toUpperCase() } }, S, /^config\.digest is not a valid/],
    ['md5 digest', { ...oci, config: { ...cfg, digest: `md5:${'0'.repeat(32)}` } }, S, /^config\.digest is not a valid/],
    ['negative size', { ...oci, layers: [{ ...layer, size: -1 }] }, S, /^layers\[0\]\.size must be a non-negative integer$/],
    ['fractional size', { ...oci, layers: [{ ...layer, size: 1.5 }] }, S, /^layers\[0\]\.size/],
    ['size as a string', { ...oci, config: { ...cfg, size: '3' } }, S, /^config\.size/],
    ['size beyond 2^53', `{"schemaVersion":2,"mediaType":"${S}","config":{"mediaType":"a","digest":"${D1}","size":9007199254740993},"layers":[]}`, S, /^config\.size/],
    ['descriptor without mediaType', { ...oci, layers: [without(layer, 'mediaType')] }, S, /^layers\[0\]\.mediaType must be a non-empty string$/],
    ['descriptor not an object', { ...index, manifests: ['x'] }, MediaType.OciIndex, /^manifests\[0\] must be a descriptor object$/],
    ['annotations not strings', { ...oci, annotations: { a: 1 } }, S, /^annotations must map strings to strings$/],
    ['descriptor annotations not strings', { ...oci, layers: [{ ...layer, annotations: { a: true } }] }, S, /^layers\[0\]\.annotations must map/],
    ['urls not strings', { ...docker, layers: [{ ...foreign, urls: [1] }] }, MediaType.DockerManifest, /^layers\[0\]\.urls must be an array of strings$/],
    ['platform without architecture', { ...index, manifests: [{ ...child('amd64'), platform: { os: 'linux' } }] }, MediaType.OciIndex, /^manifests\[0\]\.platform needs "os" and "architecture"/],
    ['platform variant not a string', { ...index, manifests: [{ ...child('arm'), platform: { os: 'linux', architecture: 'arm', variant: 7 } }] }, MediaType.OciIndex, /^manifests\[0\]\.platform\.variant must be a string$/],
    ['platform features not strings', { ...index, manifests: [{ ...child('amd64'), platform: { os: 'windows', architecture: 'amd64', 'os.features': 'x' } }] }, MediaType.OciIndex, /os\.features must be an array of strings$/],
    ['bad subject', { ...oci, subject: { mediaType: S, digest: 'nope', size: 1 } }, S, /^subject\.digest is not a valid/],
    ['artifactType not a string', { ...oci, artifactType: 7 }, S, /^artifactType must be a string$/],
    ['data not base64', { ...oci, config: { ...cfg, data: '***' } }, S, /^config\.data must be base64$/],
    ['data of the wrong size', { ...oci, config: { ...cfg, data: 'e30=' } }, S, /^config\.data holds 2 bytes, but size is 3$/],
    ['data of the wrong digest', { ...oci, config: { ...cfg, size: 2, data: 'e30=' } }, S, /^config\.data does not hash to/],
  ];
  for (const [what, body, declared, message] of table) it(what, () => refused(body, declared, 'strict', message));
});

describe('oci manifest model: lenient reading', () => {
  it('takes what a store holds: no duplicate-key check, missing mediaTypes read as empty, bad platforms as absent', () => {
    const dup = `{"schemaVersion":2,"schemaVersion":2,"config":{"digest":"${D1}","size":3},"layers":[]}`;
    const m = parseManifest(bytes(dup), MediaType.OciManifest, 'lenient');
    assert.equal(m.kind === 'image' && m.config.mediaType, '');
    const odd = { ...index, manifests: [{ ...child('amd64'), platform: { os: 'linux' } }, { ...child('arm64'), platform: { os: 'linux', architecture: 'arm64', variant: '' } }] };
    const i = parseManifest(bytes(odd), MediaType.OciIndex, 'lenient');
    assert.deepEqual(childrenOf(i).map((c) => c.platform), [undefined, { os: 'linux', architecture: 'arm64' }]);
  });

  it('decides the kind by the declared type, else by a manifests array without layers', () => {
    assert.equal(parseManifest(bytes(without(index, 'mediaType')), MediaType.DockerManifestList, 'lenient').kind, 'index');
    assert.equal(parseManifest(bytes(without(index, 'mediaType')), 'application/json', 'lenient').kind, 'index');
    assert.equal(parseManifest(bytes({ ...oci, manifests: [] }), '', 'lenient').kind, 'image');
  });

  const table: [string, unknown, string, RegExp][] = [
    ['not JSON', '{', MediaType.OciManifest, /^not JSON \(/],
    ['schema 1 by media type', oci, MediaType.DockerSchema1, /^Docker schema 1 \(application\/vnd\.docker\.distribution\.manifest\.v1\+json\) is not supported$/],
    ['schema 1 by schemaVersion', { schemaVersion: 1, fsLayers: [] }, 'application/json', /^Docker schema 1 is not supported$/],
    ['bad digest', { ...oci, layers: [{ ...layer, digest: 'sha256:0' }] }, MediaType.OciManifest, /^layers\[0\]\.digest is not a valid/],
    ['bad size', { ...index, manifests: [{ ...child('amd64'), size: -5 }] }, MediaType.OciIndex, /^manifests\[0\]\.size must be/],
    ['an index without manifests', { schemaVersion: 2 }, MediaType.OciIndex, /^an index without "manifests"$/],
    ['an image without layers', without(oci, 'layers'), MediaType.OciManifest, /^no "layers" array$/],
  ];
  for (const [what, body, declared, message] of table) it(`refuses: ${what}`, () => refused(body, declared, 'lenient', message));
});

describe('oci descriptors and platforms', () => {
  it('keeps only the spec fields of a descriptor', () => {
    const d = parseDescriptor({ ...layer, annotations: { a: 'b' }, artifactType: 'x/y', extra: 1 }, 'd', 'strict');
    assert.deepEqual(d, { ...layer, annotations: { a: 'b' }, artifactType: 'x/y' });
  });

  it('strict platforms keep os.version and features; lenient ones keep os, architecture and a variant', () => {
    const p = { os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763.1', 'os.features': ['win32k'] };
    assert.deepEqual(parsePlatform(p, 'p', 'strict'), p);
    assert.deepEqual(parsePlatform(p, 'p', 'lenient'), { os: 'windows', architecture: 'amd64' });
    assert.equal(parsePlatform('linux/amd64', 'p', 'lenient'), undefined);
    assert.equal(platformString(undefined), 'unknown/unknown');
    assert.equal(platformString({ os: 'linux', architecture: 'arm', variant: 'v7' }), 'linux/arm/v7');
  });

  it('infers a missing media type from the shape', () => {
    assert.equal(mediaTypeByShape({ manifests: [] }), MediaType.OciIndex);
    assert.equal(mediaTypeByShape({ layers: [] }), MediaType.OciManifest);
    assert.equal(mediaTypeByShape({ mediaType: MediaType.DockerManifest }), MediaType.DockerManifest);
    assert.equal(mediaTypeByShape(null), MediaType.OciManifest);
  });
});
