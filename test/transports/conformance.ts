/**
 * The transport conformance suite: the ImageSource/ImageDestination contract
 * (src/transports/types.ts) as cases every transport must pass, opened
 * through its Transport (parseImageReference → openDestination/openSource).
 * conformance.test.ts runs it against every transport of src/transports/all.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { digestOf, type Digest } from '../../src/oci/digest.js';
import { MediaType } from '../../src/oci/media-types.js';
import { parseImageReference, withoutSelector } from '../../src/transports/all.js';
import { openDestination, openSource } from '../../src/transports/open.js';
import type { TransportEnv } from '../../src/transports/transport.js';
import { ImageNotFoundError, type BlobInfo, type ImageDestination, type ImageSource, type RawManifest } from '../../src/transports/types.js';

export interface TransportUnderTest {
  /** The transport's name in all.ts (`docker`, `oci`, `file`). */
  readonly transport: string;
  readonly env: () => TransportEnv;
  /** A reference text to a repository nothing was written to yet (unique per call). */
  readonly freshRepository: () => string;
  /** True when each write is visible at once (commit() publishes nothing); false when only commit() publishes. */
  readonly visibleBeforeCommit: boolean;
}

const blobOf = (text: string, mediaType: string = MediaType.OciLayerGzip): { info: BlobInfo; bytes: Buffer } => {
  const bytes = Buffer.from(text);
  return { info: { digest: digestOf(bytes), size: bytes.length, mediaType }, bytes };
};

/** An image manifest written with odd spacing and key order: re-serializing it would change its digest. */
function imageManifest(config: BlobInfo, layer: BlobInfo, note: string): RawManifest {
  const text = `{ "schemaVersion":2,\n  "mediaType" : "${MediaType.OciManifest}", "layers":[{"size":${layer.size},"digest":"${layer.digest}","mediaType":"${MediaType.OciLayerGzip}"}],\n"config":{"mediaType":"${MediaType.OciConfig}","digest":"${config.digest}","size":${config.size}},"annotations":{"note":"${note}"}  }\n`;
  const bytes = Buffer.from(text);
  return { bytes, mediaType: MediaType.OciManifest, digest: digestOf(bytes) };
}

async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/** Source over `ref`, or undefined when the store does not exist (yet). */
async function sourceOrNone(env: TransportEnv, ref: string): Promise<ImageSource | undefined> {
  try {
    return await openSource(env, parseImageReference(ref));
  } catch (e) {
    if (e instanceof ImageNotFoundError) return undefined;
    throw e;
  }
}

async function tagsOf(env: TransportEnv, ref: string): Promise<string[]> {
  const src = await sourceOrNone(env, ref);
  if (src === undefined) return [];
  const out: string[] = [];
  try {
    for await (const t of src.listTags()) out.push(t);
  } finally {
    await src.close();
  }
  return out.sort();
}

/** The manifest `reference` as a fresh reader sees it, or undefined when it does not see one. */
async function visibleManifest(env: TransportEnv, ref: string, reference: string): Promise<RawManifest | undefined> {
  const src = await sourceOrNone(env, ref);
  if (src === undefined) return undefined;
  try {
    return await src.getManifest(reference);
  } catch (e) {
    if (e instanceof ImageNotFoundError) return undefined;
    throw e;
  } finally {
    await src.close();
  }
}

export function transportConformance(t: TransportUnderTest): void {
  const open = async (): Promise<{ ref: string; dst: ImageDestination }> => {
    const ref = t.freshRepository();
    return { ref, dst: await openDestination(t.env(), parseImageReference(ref)) };
  };
  /** Config and layer in the store, and a manifest over them. */
  const withImage = async (dst: ImageDestination, note: string): Promise<{ m: RawManifest; layer: ReturnType<typeof blobOf> }> => {
    const config = blobOf(`{"architecture":"amd64","os":"linux","note":"${note}"}`, MediaType.OciConfig);
    const layer = blobOf(`layer bytes of ${note}`);
    for (const b of [config, layer]) await dst.putBlob(b.info, Readable.from([b.bytes]));
    return { m: imageManifest(config.info, layer.info, note), layer };
  };

  describe(`transport conformance: ${t.transport}`, () => {
    it('its references parse to this transport and format back unchanged', () => {
      const text = t.freshRepository();
      const r = parseImageReference(text);
      assert.equal(r.transport, t.transport);
      assert.equal(withoutSelector(r).transport, t.transport);
    });

    it('stores manifest bytes unchanged, by tag and by digest', async () => {
      const { ref, dst } = await open();
      const { m } = await withImage(dst, 'bytes');
      await dst.putManifest(m, { tag: 'v1' });
      await dst.commit();
      await dst.close();
      for (const reference of ['v1', m.digest]) {
        const got = await visibleManifest(t.env(), ref, reference);
        assert.ok(got !== undefined, `${reference} is visible after commit`);
        assert.ok(got.bytes.equals(m.bytes), `${reference}: the very bytes`);
        assert.equal(got.digest, m.digest);
      }
    });

    it('refuses manifest bytes that do not hash to their digest, and stores nothing', async () => {
      const { ref, dst } = await open();
      const { m } = await withImage(dst, 'liar');
      const other = imageManifest(blobOf('x').info, blobOf('y').info, 'other');
      await assert.rejects(dst.putManifest({ ...m, digest: other.digest }, { tag: 'v1' }), (e: Error) => (e as { code?: string }).code === 'ERR_DIGEST_MISMATCH');
      await dst.commit();
      await dst.close();
      assert.equal(await visibleManifest(t.env(), ref, 'v1'), undefined);
    });

    it('putBlob verifies digest and size; a bad body leaves nothing visible', async () => {
      const { ref, dst } = await open();
      const good = blobOf('the promised bytes');
      const sameSizeWrong = Buffer.from('the promised bytez');
      await assert.rejects(dst.putBlob(good.info, Readable.from([sameSizeWrong])));
      await assert.rejects(dst.putBlob(good.info, Readable.from([good.bytes.subarray(0, 5)])), 'a short body');
      await assert.rejects(dst.putBlob(good.info, Readable.from([good.bytes, Buffer.from('!')])), 'a long body');
      assert.equal(await dst.hasBlob(good.info), 'absent', 'hasBlob after bad bodies');
      const src = await sourceOrNone(t.env(), ref);
      if (src !== undefined) {
        await assert.rejects(async () => readAll(await src.getBlob(good.info)), 'a reader finds no such blob');
        await src.close();
      }
      await dst.close();
    });

    it('hasBlob answers present only for a complete blob; getBlob returns its bytes, also from an offset', async () => {
      const { ref, dst } = await open();
      const b = blobOf('complete blob content, 0123456789');
      assert.equal(await dst.hasBlob(b.info), 'absent');
      await dst.putBlob(b.info, Readable.from([b.bytes.subarray(0, 7), b.bytes.subarray(7)]));
      assert.equal(await dst.hasBlob(b.info), 'present');
      await dst.commit();
      await dst.close();
      const src = await openSource(t.env(), parseImageReference(ref));
      try {
        assert.ok((await readAll(await src.getBlob(b.info))).equals(b.bytes));
        assert.ok((await readAll(await src.getBlob(b.info, { offset: 9 }))).equals(b.bytes.subarray(9)));
      } finally {
        await src.close();
      }
    });

    it('lists the tags written; resolveManifest answers tags and digests, undefined when absent', async () => {
      const { ref, dst } = await open();
      const a = await withImage(dst, 'a');
      const b = await withImage(dst, 'b');
      assert.equal(await dst.resolveManifest('v1'), undefined);
      assert.equal(await dst.resolveManifest(a.m.digest), undefined);
      await dst.putManifest(a.m, { tag: 'v1' });
      await dst.putManifest(b.m, { tag: 'v2' });
      await dst.putManifest(b.m, { tag: 'latest' });
      assert.equal(await dst.resolveManifest('v1'), a.m.digest, 'its own write, before commit');
      assert.equal(await dst.resolveManifest(b.m.digest), b.m.digest);
      await dst.commit();
      await dst.close();
      assert.deepEqual(await tagsOf(t.env(), ref), ['latest', 'v1', 'v2']);
      const again = await openDestination(t.env(), parseImageReference(ref));
      assert.equal(await again.resolveManifest('latest'), b.m.digest);
      assert.equal(await again.resolveManifest(`sha256:${'0'.repeat(64)}` as Digest), undefined);
      await again.close();
    });

    it(t.visibleBeforeCommit ? 'every write is visible when it returns; commit() is harmless' : 'nothing is published before commit(); close() without commit() publishes nothing', async () => {
      const { ref, dst } = await open();
      await dst.commit(); // nothing written: harmless
      const { m } = await withImage(dst, 'commit');
      await dst.putManifest(m, { tag: 'v1' });
      const before = await visibleManifest(t.env(), ref, 'v1');
      assert.equal(before !== undefined, t.visibleBeforeCommit, 'visible before commit()');
      await dst.commit();
      assert.ok((await visibleManifest(t.env(), ref, 'v1'))?.bytes.equals(m.bytes), 'visible after commit()');
      await dst.close();

      const next = await openDestination(t.env(), parseImageReference(ref));
      const n = await withImage(next, 'uncommitted');
      await next.putManifest(n.m, { tag: 'v2' });
      await next.close();
      const seen = await visibleManifest(t.env(), ref, 'v2');
      assert.equal(seen !== undefined, t.visibleBeforeCommit, 'visible after close() without commit()');
      assert.deepEqual(await tagsOf(t.env(), ref), t.visibleBeforeCommit ? ['v1', 'v2'] : ['v1']);
    });

    it('getManifest of an unknown tag or digest is ImageNotFoundError', async () => {
      const { ref, dst } = await open();
      const { m } = await withImage(dst, 'known');
      await dst.putManifest(m, { tag: 'v1' });
      await dst.commit();
      await dst.close();
      const src = await openSource(t.env(), parseImageReference(ref));
      try {
        await assert.rejects(src.getManifest('nope'), ImageNotFoundError);
        await assert.rejects(src.getManifest(`sha256:${'1'.repeat(64)}`), ImageNotFoundError);
      } finally {
        await src.close();
      }
    });
  });
}
