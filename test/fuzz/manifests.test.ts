/**
 * Properties of manifest PUT on a real airlock (loopback HTTP), over
 * manifests and indexes built from blobs pushed first:
 *
 * - an accepted manifest comes back from GET (by digest and by tag)
 *   byte-for-byte, with Docker-Content-Digest = the digest of the bytes sent
 *   and the media type it was pushed as: whatever its spelling, nothing is
 *   re-serialized;
 * - valid documents are accepted; each known breakage gets its OCI error
 *   code; byte-mutated and random bodies get a 4xx OCI error, never a 5xx,
 *   and nothing refused can be fetched afterwards;
 * - parseManifest on its own throws nothing but MANIFEST_INVALID.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { digestOf, type DigestAlgorithm } from '../../src/oci/digest.js';
import { MANIFEST_MEDIA_TYPES, MediaType } from '../../src/oci/media-types.js';
import { RegistryError } from '../../src/registry/errors.js';
import { parseManifest } from '../../src/registry/manifest-parse.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { checkProperty, mutatedBytes } from './fuzz-config.js';
import { spelled, spelling } from './json-spelling.js';
import { EXPECTED_CODE, pushedManifest, type Fixture, type Known, type Pushed } from './manifest-arbitraries.js';
import { assertOciError, headerOf, pushBlob, send, type Answer } from './registry-http.js';

const REPO = 'fuzz/manifests';
const REFUSALS = ['MANIFEST_INVALID', 'MANIFEST_BLOB_UNKNOWN', 'DIGEST_INVALID', 'SIZE_INVALID'];

/** Random and pathological bodies: bytes, JSON values, deep nesting, huge numbers. */
const rawBody: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
  fc.record({ schemaVersion: fc.jsonValue({ maxDepth: 1 }), mediaType: fc.oneof(fc.constantFrom(...MANIFEST_MEDIA_TYPES), fc.string()), config: fc.jsonValue({ maxDepth: 2 }), layers: fc.jsonValue({ maxDepth: 2 }), manifests: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: [] }).map((v) => Buffer.from(JSON.stringify(v))),
  fc.tuple(fc.integer({ min: 1, max: 200_000 }), fc.constantFrom(['[', ']'], ['{"a":', '}'], ['{"schemaVersion":2,"manifests":[', ']}']), fc.boolean()).map(([n, [open, close], closed]) => Buffer.from(open.repeat(n) + (closed ? `0${close.repeat(n)}` : ''))),
  fc.constantFrom('{"schemaVersion":2e400}', '{"schemaVersion":2.0,"layers":[],"config":{}}', '\ufeff{"schemaVersion":2}', '{"schemaVersion":2,"manifests":[]}\u0000', '"\\ud800"').map((s) => Buffer.from(s)),
);

describe('fuzz: manifests on a real registry', () => {
  let reg: AirlockHandle;
  let fixture: Fixture;
  let valid: fc.Arbitrary<Pushed>;
  const accepted = new Set<string>();
  let n = 0;

  before(async () => {
    reg = await startAirlock();
    const blob = async (data: Buffer, mediaType: string): Promise<Known> => ({ digest: await pushBlob(reg.url, REPO, data), size: data.length, mediaType });
    const configBytes = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
    const config = await blob(configBytes, MediaType.OciConfig);
    const layers = [await blob(Buffer.from('layer one'), MediaType.OciLayerGzip), await blob(Buffer.alloc(1000, 7), MediaType.OciLayerGzip)];
    const children: Known[] = [];
    for (const arch of ['amd64', 'arm64']) {
      const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: { ...config }, layers: layers.map((l) => ({ ...l })), annotations: { arch } }));
      const a = await send(reg.url, 'PUT', `/v2/${REPO}/manifests/child-${arch}`, { 'content-type': MediaType.OciManifest }, body);
      assert.equal(a.status, 201, a.body.toString());
      children.push({ digest: digestOf(body), size: body.length, mediaType: MediaType.OciManifest });
      accepted.add(digestOf(body));
    }
    fixture = { config, dockerConfig: { ...config, mediaType: MediaType.DockerConfig }, layers, children };
    valid = pushedManifest(fixture);
  });

  after(async () => {
    await reg?.close();
  });

  /** PUTs `body`; on 201 checks the byte-for-byte round trip, on refusal that nothing is fetchable. Returns the answer. */
  async function putAndCheck(body: Buffer, contentType: string, ref: 'tag' | DigestAlgorithm | 'wrong', mediaType?: string): Promise<Answer> {
    const tag = `t${++n}`;
    const want = ref === 'tag' || ref === 'wrong' ? digestOf(body) : digestOf(body, ref);
    const path = ref === 'tag' ? tag : ref === 'wrong' ? digestOf(Buffer.concat([body, Buffer.from(' ')])) : want;
    const a = await send(reg.url, 'PUT', `/v2/${REPO}/manifests/${path}`, contentType === '' ? {} : { 'content-type': contentType }, body);
    const what = `PUT ${body.length} bytes (${JSON.stringify(body.subarray(0, 120).toString())}…) as ${JSON.stringify(contentType)}`;
    if (a.status === 201) {
      assert.equal(headerOf(a, 'docker-content-digest'), want, `${what}: Docker-Content-Digest is the digest of the bytes sent`);
      accepted.add(want);
      for (const by of ref === 'tag' ? [want, tag] : [want]) {
        const got = await send(reg.url, 'GET', `/v2/${REPO}/manifests/${by}`, { accept: MANIFEST_MEDIA_TYPES.join(', ') });
        assert.equal(got.status, 200, `${what}: GET ${by}`);
        assert.ok(got.body.equals(body), `${what}: GET ${by} returns the same bytes`);
        assert.equal(headerOf(got, 'docker-content-digest'), want);
        assert.equal(digestOf(got.body, want.startsWith('sha512:') ? 'sha512' : 'sha256'), want);
        assert.ok(MANIFEST_MEDIA_TYPES.includes(headerOf(got, 'content-type') ?? ''), `${what}: content-type ${headerOf(got, 'content-type')}`);
        if (mediaType !== undefined) assert.equal(headerOf(got, 'content-type'), mediaType, `${what}: served as the media type it was pushed as`);
      }
    } else {
      assertOciError(a, what, REFUSALS);
      if (!accepted.has(want)) {
        const got = await send(reg.url, 'GET', `/v2/${REPO}/manifests/${want}`);
        assert.equal(got.status, 404, `${what}: a refused manifest is not fetchable`);
      }
    }
    return a;
  }

  it('valid manifests are accepted and round-trip byte-for-byte; each breakage gets its OCI error code', async () => {
    const ref = fc.constantFrom<'tag' | DigestAlgorithm | 'wrong'>('tag', 'tag', 'sha256', 'sha512', 'wrong');
    await checkProperty(
      'manifest structured',
      fc.asyncProperty(
        valid,
        spelling,
        ref,
        async (m, sp, r) => {
          const body = spelled(m.doc, sp);
          const a = await putAndCheck(body, m.contentType, r, m.breakage === 'none' ? m.mediaType : undefined);
          const code = r === 'wrong' ? 'DIGEST_INVALID' : m.breakage === 'none' ? undefined : EXPECTED_CODE[m.breakage];
          if (code === undefined) assert.equal(a.status, 201, `a valid manifest is accepted: ${a.body.toString()}\n${body.toString()}`);
          else assertOciError(a, `breakage ${m.breakage} (ref ${r})`, [code]);
        },
      ),
      { runs: 1000, ms: 6000 },
    );
  });

  it('byte-mutated manifests: accepted and round-tripped, or a 4xx OCI error (never a 5xx)', async () => {
    const mutated = fc.tuple(valid, spelling).chain(([m, sp]) => fc.tuple(mutatedBytes(fc.constant(spelled(m.doc, sp))), fc.constant(m.contentType)));
    await checkProperty(
      'manifest byte mutations',
      fc.asyncProperty(mutated, fc.constantFrom<'tag' | DigestAlgorithm>('tag', 'sha256'), async ([body, ct], r) => {
        await putAndCheck(body, ct, r);
      }),
      { runs: 600, ms: 4000 },
    );
  });

  it('random and pathological bodies: a 4xx OCI error (never a 5xx)', async () => {
    const ct = fc.constantFrom('', 'application/json', ...MANIFEST_MEDIA_TYPES, 'application/vnd.docker.distribution.manifest.v1+prettyjws', 'text/plain; x=y', 'application/vnd.oci.image.index.v1+json;charset=utf-8');
    await checkProperty(
      'manifest raw bodies',
      fc.asyncProperty(rawBody, ct, async (body, contentType) => {
        await putAndCheck(body, contentType, 'tag');
      }),
      { runs: 400, ms: 4000 },
    );
  });

  it('duplicate keys are refused with MANIFEST_INVALID', async () => {
    await checkProperty(
      'manifest duplicate keys',
      fc.asyncProperty(
        valid.filter((m) => m.breakage === 'none'),
        fc.constantFrom('"schemaVersion":2,', '"mediaType":"application/vnd.oci.image.manifest.v1+json",', '"layers":[],', '"annotations":{},'),
        async (m, dup) => {
          // Only a key the document already has is a duplicate (an image manifest may lack "annotations" or "layers").
          fc.pre(Object.hasOwn(m.doc as object, dup.slice(1, dup.indexOf('"', 1))));
          const text = JSON.stringify(m.doc);
          const body = Buffer.from(`{${dup}${text.slice(1)}`);
          const a = await send(reg.url, 'PUT', `/v2/${REPO}/manifests/dup${++n}`, m.contentType === '' ? {} : { 'content-type': m.contentType }, body);
          assertOciError(a, `duplicate ${dup}`, ['MANIFEST_INVALID']);
        },
      ),
      { runs: 40, ms: 1500 },
    );
  });
});

describe('fuzz: parseManifest', () => {
  it('throws nothing but MANIFEST_INVALID, whatever the bytes and Content-Type', async () => {
    const ct = fc.oneof(fc.constantFrom('', 'application/json', ...MANIFEST_MEDIA_TYPES), fc.string({ maxLength: 30 }));
    await checkProperty(
      'parseManifest',
      fc.property(fc.oneof(rawBody, mutatedBytes(rawBody)), ct, (body, contentType) => {
        try {
          const m = parseManifest(body, contentType);
          assert.ok(MANIFEST_MEDIA_TYPES.includes(m.mediaType), m.mediaType);
        } catch (e) {
          assert.ok(e instanceof RegistryError && e.code === 'MANIFEST_INVALID', `expected MANIFEST_INVALID, got ${String(e)}`);
          assert.ok(e.message.length < 1000, `bounded message (${e.message.length})`);
        }
      }),
      { runs: 3000, ms: 3000 },
    );
  });
});
