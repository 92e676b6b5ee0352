/**
 * An OCI image layout directory (image-spec `image-layout.md`), the format of
 * skopeo's `oci:` transport:
 *
 *   <root>/
 *     oci-layout              {"imageLayoutVersion":"1.0.0"}
 *     index.json              {"schemaVersion":2,"manifests":[descriptor, ...]}
 *                             a descriptor's annotation
 *                             org.opencontainers.image.ref.name names it
 *     blobs/<alg>/<hex>       every blob and manifest, shared by all refs
 *     blobs/<alg>/.tmp-*      in-progress writes (renamed into place)
 *
 * Blobs are written to a temp file, verified while streaming, fsynced and
 * renamed: a blob path exists only with complete, verified content.
 * index.json is rewritten through a temp file and rename under an
 * in-process lock (a destination does it once, at commit()); two processes writing one layout at once can lose an
 * index update (as with skopeo), never corrupt it.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { digestOf, parseDigest, type Digest } from '../../oci/digest.js';
import { ManifestInvalidError, type Descriptor, type Platform } from '../../oci/descriptor.js';
import { parseManifest, sniffManifestType, type Manifest } from '../../oci/manifest.js';
import { MediaType } from '../../oci/media-types.js';
import { KeyedMutex } from '../../util/keyed-mutex.js';
import { ImageNotFoundError, type BlobInfo, type RawManifest } from '../types.js';
import { assertReadable, verified } from '../verify-stream.js';

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

/**
 * An index.json entry: the one Descriptor (oci/descriptor.ts), checked by
 * the model's lenient read, with any other fields the writer put there
 * (kept when index.json is rewritten).
 */
export type LayoutDescriptor = Descriptor & { readonly [key: string]: unknown };

interface IndexDoc {
  readonly schemaVersion: number;
  readonly mediaType?: string;
  readonly manifests: readonly LayoutDescriptor[];
  readonly [key: string]: unknown;
}

const indexLocks = new KeyedMutex();

export class LayoutError extends Error {
  readonly code = 'ERR_OCI_LAYOUT';
}

/** Media type of manifest bytes that carry none: by shape, as the image spec allows (the one model's sniffManifestType). */
export { sniffManifestType };

const LAYOUT_MARKER = '{"imageLayoutVersion":"1.0.0"}';

export class OciLayout {
  /** Set while a layout opened with `create` does not exist yet: the first write makes it. */
  private creating: Promise<void> | undefined;

  private constructor(
    readonly root: string,
    private missing = false,
  ) {}

  /**
   * Opens a layout. With `create`, a missing one reads as empty and is made
   * (the directory, blobs/sha256/ and oci-layout) by the first write, so a
   * run that writes nothing (a dry run, a failed source) leaves nothing behind.
   */
  static async open(path: string, opts: { create: boolean }): Promise<OciLayout> {
    const root = resolve(path);
    let marker: string | undefined;
    try {
      marker = await readFile(join(root, 'oci-layout'), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (marker === undefined) {
      if (!opts.create) throw new ImageNotFoundError(`${root} is not an OCI image layout (no oci-layout file)`);
      return new OciLayout(root, true);
    } else {
      let version: unknown;
      try {
        version = (JSON.parse(marker) as { imageLayoutVersion?: unknown }).imageLayoutVersion;
      } catch {
        version = undefined;
      }
      if (typeof version !== 'string' || !version.startsWith('1.')) throw new LayoutError(`${root}/oci-layout: unsupported imageLayoutVersion ${String(version)}`);
    }
    return new OciLayout(root);
  }

  /** Makes the layout if open() found none (once; every write calls this first). */
  private ensureCreated(): Promise<void> {
    if (!this.missing) return Promise.resolve();
    this.creating ??= (async () => {
      await mkdir(join(this.root, 'blobs', 'sha256'), { recursive: true });
      await writeFile(join(this.root, 'oci-layout'), LAYOUT_MARKER);
      this.missing = false;
    })().catch((e: unknown) => {
      this.creating = undefined;
      throw e;
    });
    return this.creating;
  }

  blobPath(digest: Digest | string): string {
    const p = parseDigest(digest);
    return join(this.root, 'blobs', p.algorithm, p.hex);
  }

  /** Size of a stored blob, or undefined. */
  async blobSize(digest: Digest): Promise<number | undefined> {
    try {
      const st = await stat(this.blobPath(digest));
      return st.isFile() ? st.size : undefined;
    } catch {
      return undefined;
    }
  }

  async openBlob(digest: Digest, offset = 0): Promise<Readable> {
    const path = this.blobPath(digest);
    if ((await this.blobSize(digest)) === undefined) throw new ImageNotFoundError(`${this.root}: blob ${digest} is missing`);
    return createReadStream(path, { start: offset, highWaterMark: 1 << 20 });
  }

  /** Streams `body` into the pool (verified, fsynced, renamed). No-op when present with the right size. */
  async writeBlob(blob: BlobInfo, body: Readable): Promise<void> {
    // Wrapped before any await: its failures are recorded from the start (see verified()).
    const checked = verified(body, blob);
    const path = this.blobPath(blob.digest);
    let tmp: string | undefined;
    try {
      if ((await this.blobSize(blob.digest)) === blob.size) {
        checked.destroy();
        return;
      }
      await this.ensureCreated();
      const dir = join(path, '..');
      await mkdir(dir, { recursive: true });
      // The body may have failed while the directory was made (a short blob read and checked, a dropped source).
      assertReadable(checked, `blob ${blob.digest}`);
      tmp = join(dir, `.tmp-${randomBytes(8).toString('hex')}`);
      await pipeline(checked, createWriteStream(tmp, { flags: 'wx', flush: true, highWaterMark: 1 << 20 }));
      await rename(tmp, path);
    } catch (e) {
      checked.destroy();
      if (tmp !== undefined) await rm(tmp, { force: true });
      throw e;
    }
  }

  async writeBlobBytes(bytes: Buffer, digest: Digest): Promise<void> {
    if ((await this.blobSize(digest)) === bytes.length) return;
    await this.ensureCreated();
    const path = this.blobPath(digest);
    await mkdir(join(path, '..'), { recursive: true });
    const tmp = join(path, '..', `.tmp-${randomBytes(8).toString('hex')}`);
    await writeFile(tmp, bytes, { flush: true });
    await rename(tmp, path);
  }

  async readIndex(): Promise<IndexDoc> {
    let text: string;
    try {
      text = await readFile(join(this.root, 'index.json'), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { schemaVersion: 2, manifests: [] };
      throw e;
    }
    let doc: Manifest;
    try {
      doc = parseManifest(Buffer.from(text, 'utf8'), MediaType.OciIndex, 'lenient');
    } catch (e) {
      if (e instanceof ManifestInvalidError) throw new LayoutError(`${this.root}/index.json: ${e.message}`);
      throw e;
    }
    // The entries as written (validated above), so a rewrite keeps their other fields.
    return doc.document as unknown as IndexDoc;
  }

  /** The descriptor named `refName`, or listed with `digest`. */
  async resolve(ref: { refName?: string; digest?: Digest }): Promise<LayoutDescriptor | undefined> {
    const idx = await this.readIndex();
    if (ref.refName !== undefined) return idx.manifests.find((m) => m.annotations?.[REF_NAME_ANNOTATION] === ref.refName);
    return idx.manifests.find((m) => m.digest === ref.digest);
  }

  async refNames(): Promise<string[]> {
    const idx = await this.readIndex();
    return idx.manifests.map((m) => m.annotations?.[REF_NAME_ANNOTATION]).filter((n): n is string => n !== undefined);
  }

  async readManifest(ref: { refName?: string; digest?: Digest }, mediaTypeHint?: string): Promise<RawManifest> {
    const desc = await this.resolve(ref);
    const digest = desc?.digest ?? ref.digest;
    if (digest === undefined) throw new ImageNotFoundError(`${this.root}: no manifest named ${ref.refName}`);
    let bytes: Buffer;
    try {
      bytes = await readFile(this.blobPath(digest));
    } catch {
      throw new ImageNotFoundError(`${this.root}: manifest ${digest} is missing`);
    }
    const got = digestOf(bytes, parseDigest(digest).algorithm);
    if (got !== digest) throw new LayoutError(`${this.root}: blob ${digest} is corrupt (hashes to ${got})`);
    return { bytes, digest, mediaType: desc?.mediaType ?? mediaTypeHint ?? sniffManifestType(bytes) };
  }

  /**
   * Stores manifest bytes and lists them in index.json: under `refName`
   * (replacing what had that name), or without a name if not yet listed.
   */
  async putManifest(m: RawManifest, refName: string | undefined, extra?: { platform?: Platform }): Promise<void> {
    await this.writeBlobBytes(m.bytes, m.digest);
    await this.updateIndex([{ manifest: m, refName, platform: extra?.platform }]);
  }

  /**
   * Lists manifests (whose bytes are already stored) in index.json, in order,
   * with one atomic rewrite (temp file, fsync, rename) under the in-process
   * lock: each entry replaces what had its ref name; an unnamed one is added
   * unless its digest is listed already.
   */
  async updateIndex(entries: readonly IndexEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.ensureCreated();
    await indexLocks.run(this.root, async () => {
      const idx = await this.readIndex();
      let manifests = idx.manifests;
      for (const { manifest: m, refName, platform } of entries) {
        if (refName === undefined && manifests.some((d) => d.digest === m.digest)) continue;
        const kept = refName === undefined ? manifests : manifests.filter((d) => d.annotations?.[REF_NAME_ANNOTATION] !== refName);
        const desc: LayoutDescriptor = {
          mediaType: m.mediaType,
          digest: m.digest,
          size: m.bytes.length,
          ...(platform ? { platform } : {}),
          ...(refName !== undefined ? { annotations: { [REF_NAME_ANNOTATION]: refName } } : {}),
        };
        manifests = [...kept, desc];
      }
      const next: IndexDoc = { ...idx, schemaVersion: 2, manifests };
      const tmp = join(this.root, `.index.json.tmp-${randomBytes(6).toString('hex')}`);
      await writeFile(tmp, JSON.stringify(next), { flush: true });
      await rename(tmp, join(this.root, 'index.json'));
    });
  }
}

/** One manifest to list in index.json (see updateIndex). */
export interface IndexEntry {
  readonly manifest: RawManifest;
  readonly refName: string | undefined;
  readonly platform?: Platform;
}
