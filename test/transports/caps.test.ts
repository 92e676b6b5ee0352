/**
 * The engine honours what destinations declare and commits once:
 * - a test-only transport (a real ImageDestination: the OCI layout, wrapped
 *   to declare concurrentBlobWrites/taglessManifests false and to count
 *   blob writes in flight) gets its blob writes one at a time, and a
 *   digest-only push is refused before anything is written;
 * - runMirror commits each destination once after a kept run, and not at
 *   all after a failed one (the layout's index.json stays byte-identical).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import { createCopyContext } from '../../src/copy/copy-context.js';
import { copyImage } from '../../src/copy/copy-image.js';
import { runMirror, type MirrorJob } from '../../src/copy/mirror.js';
import { digestOf, type Digest } from '../../src/oci/digest.js';
import { MediaType } from '../../src/oci/media-types.js';
import { parseImageReference } from '../../src/transports/all.js';
import { OciLayout } from '../../src/transports/oci-layout/layout.js';
import { OciLayoutDestination, OciLayoutSource } from '../../src/transports/oci-layout/layout-image.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import type { BlobInfo, BlobPresence, DestinationCaps, ImageDestination, ManifestTarget, RawManifest } from '../../src/transports/types.js';

/** The test-only transport's destination: an OCI layout that declares other caps and records how its blob writes overlap. */
class CapsDestination implements ImageDestination {
  readonly repository = '';
  readonly store: string;
  readonly description: string;
  inFlight = 0;
  maxInFlight = 0;
  blobWrites = 0;
  manifestWrites = 0;
  commits = 0;

  constructor(
    private readonly inner: OciLayoutDestination,
    readonly caps: DestinationCaps,
  ) {
    this.store = `caps:${inner.store}`;
    this.description = `caps:${inner.description}`;
  }

  hasBlob(blob: BlobInfo): Promise<BlobPresence> {
    return this.inner.hasBlob(blob);
  }

  async mountBlob(): Promise<boolean> {
    return false;
  }

  async putBlob(blob: BlobInfo, body: Readable): Promise<void> {
    this.inFlight++;
    this.blobWrites++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      // Give every other ready task the chance to start its own write meanwhile.
      for (let i = 0; i < 5; i++) await tick();
      await this.inner.putBlob(blob, body);
    } finally {
      this.inFlight--;
    }
  }

  resolveManifest(reference: string): Promise<Digest | undefined> {
    return this.inner.resolveManifest(reference);
  }

  putManifest(manifest: RawManifest, target: ManifestTarget): Promise<void> {
    this.manifestWrites++;
    return this.inner.putManifest(manifest, target);
  }

  commit(): Promise<void> {
    this.commits++;
    return this.inner.commit();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

const CAPS = { blobScope: 'store', crossRepoMount: false } as const;

let dir: string;
let srcPath: string;
let image: RawManifest;
let blobCount = 0;

/** An image of `n` distinct layers in an OCI layout at `path`, tagged `v1`. */
async function sourceImage(path: string, n: number): Promise<RawManifest> {
  const layout = await OciLayout.open(path, { create: true });
  const put = async (bytes: Buffer, mediaType: string): Promise<{ mediaType: string; digest: Digest; size: number }> => {
    const digest = digestOf(bytes);
    await layout.writeBlobBytes(bytes, digest);
    return { mediaType, digest, size: bytes.length };
  };
  const config = await put(Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'), MediaType.OciConfig);
  const layers = [];
  for (let i = 0; i < n; i++) layers.push(await put(Buffer.from(`layer ${i} `.repeat(100 + i)), MediaType.OciLayerGzip));
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config, layers }));
  const m = { bytes, mediaType: MediaType.OciManifest, digest: digestOf(bytes) };
  await layout.putManifest(m, 'v1');
  return m;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-transport-caps-'));
  srcPath = join(dir, 'src');
  blobCount = 8 + 1;
  image = await sourceImage(srcPath, 8);
});
after(() => rm(dir, { recursive: true, force: true }));

const source = async (): Promise<OciLayoutSource> => new OciLayoutSource(await OciLayout.open(srcPath, { create: false }));
const capsDestination = async (name: string, caps: Pick<DestinationCaps, 'concurrentBlobWrites' | 'taglessManifests'>): Promise<CapsDestination> =>
  new CapsDestination(new OciLayoutDestination(await OciLayout.open(join(dir, name), { create: true })), { ...CAPS, ...caps });

describe('destination capabilities', () => {
  it('concurrentBlobWrites: false gets one blob write at a time; true gets them at once (the check can fail)', async () => {
    const serial = await capsDestination('serial', { concurrentBlobWrites: false, taglessManifests: true });
    await copyImage(createCopyContext({ maxPerStore: 8 }), await source(), 'v1', [{ dst: serial, tag: 'v1' }]);
    assert.equal(serial.blobWrites, blobCount, 'every blob was written');
    assert.equal(serial.maxInFlight, 1, 'never two blob writes at once');

    const parallel = await capsDestination('parallel', { concurrentBlobWrites: true, taglessManifests: true });
    await copyImage(createCopyContext({ maxPerStore: 8 }), await source(), 'v1', [{ dst: parallel, tag: 'v1' }]);
    assert.equal(parallel.blobWrites, blobCount);
    assert.ok(parallel.maxInFlight > 1, `blob writes overlapped (${parallel.maxInFlight})`);
  });

  it('taglessManifests: false refuses a digest-only push in one line, before writing anything; a tagged push works', async () => {
    const dst = await capsDestination('tagless', { concurrentBlobWrites: true, taglessManifests: false });
    await assert.rejects(copyImage(createCopyContext(), await source(), image.digest, [{ dst }]), (e: Error) => {
      assert.equal((e as { code?: string }).code, 'ERR_TAG_REQUIRED');
      assert.match(e.message, /^caps:oci:\S+ cannot store a manifest without a tag \(pushing sha256:[0-9a-f]{64} by digest\); give the destination a tag$/);
      return true;
    });
    assert.equal(dst.blobWrites + dst.manifestWrites, 0, 'nothing was written');
    await assert.rejects(readdir(join(dir, 'tagless')), 'the layout was not even created');
    await copyImage(createCopyContext(), await source(), image.digest, [{ dst, tag: 'pinned' }]);
    await dst.commit();
    assert.equal(await dst.resolveManifest('pinned'), image.digest);
  });
});

describe('runMirror commits', () => {
  const hub = new RegistryHub({ insecure: () => true });
  after(() => hub.close());
  const env = { registries: hub };
  const job = (within: string, dest: string): MirrorJob => ({ source: parseImageReference(`oci:${srcPath}`), within, targets: [{ ref: parseImageReference(dest), tag: within === 'v1' ? 'v1' : undefined }] });

  /** Counts commit() calls of every OCI layout destination while `fn` runs (a spy on the real method). */
  async function countingCommits<T>(fn: () => Promise<T>): Promise<{ result: T; commits: string[] }> {
    const original = OciLayoutDestination.prototype.commit;
    const commits: string[] = [];
    OciLayoutDestination.prototype.commit = function (this: OciLayoutDestination) {
      commits.push(this.description);
      return original.call(this);
    };
    try {
      return { result: await fn(), commits };
    } finally {
      OciLayoutDestination.prototype.commit = original;
    }
  }

  it('commits each destination once after a kept run, after all its images', async () => {
    const out = join(dir, 'kept');
    const { result, commits } = await countingCommits(() => runMirror([job('v1', `oci:${out}`), job(image.digest, `oci:${out}`)], { env, copy: createCopyContext(), parallelImages: 1 }));
    assert.deepEqual(result.errors, []);
    assert.equal(commits.length, 1, 'one commit for the one destination');
    const index = JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    assert.deepEqual(index.manifests.map((m) => m.digest), [image.digest], 'the tag and the digest push name one manifest');
  });

  it('a failed run commits nothing: index.json is byte-identical, the new tag invisible', async () => {
    const out = join(dir, 'failed');
    await runMirror([job('v1', `oci:${out}`)], { env, copy: createCopyContext() });
    const before = await readFile(join(out, 'index.json'));
    const missing = `sha256:${'2'.repeat(64)}`;
    const jobs = [{ ...job('v1', `oci:${out}`), targets: [{ ref: parseImageReference(`oci:${out}`), tag: 'again' }] }, job(missing, `oci:${out}`)];
    const { result, commits } = await countingCommits(() => runMirror(jobs, { env, copy: createCopyContext(), parallelImages: 1 }));
    assert.equal(result.errors.length, 1, 'the missing source failed the run');
    assert.deepEqual(commits, [], 'no commit');
    assert.ok((await readFile(join(out, 'index.json'))).equals(before), 'index.json unchanged');
    const reader = new OciLayoutDestination(await OciLayout.open(out, { create: false }));
    assert.equal(await reader.resolveManifest('again'), undefined, 'a fresh reader does not see the uncommitted tag');
  });

  it('with continueOnError the images that succeeded are committed', async () => {
    const out = join(dir, 'continue');
    const missing = `sha256:${'3'.repeat(64)}`;
    const { result, commits } = await countingCommits(() => runMirror([job('v1', `oci:${out}`), job(missing, `oci:${out}`)], { env, copy: createCopyContext(), continueOnError: true }));
    assert.equal(result.errors.length, 1);
    assert.equal(commits.length, 1);
    const index = JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    assert.deepEqual(index.manifests.map((m) => m.digest), [image.digest]);
  });
});
