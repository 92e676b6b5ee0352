/**
 * oc image mirror's disk store (`file://` references, --dir/--from-dir),
 * read and written in oc's layout so either tool can use the other's:
 *
 *   <dir>/v2/<repository>/
 *     blobs/sha256:<hex>        layers, configs AND manifest bytes
 *     blobs/.tmp-*              in-progress writes (renamed into place)
 *     manifests/sha256:<hex>    hard link to ../blobs/sha256:<hex>
 *     manifests/<tag>           symlink -> "sha256:<hex>" (relative)
 *
 * No shared pool: each repository has its own blobs/, and a "mount" is a hard
 * link from another repository's blobs/ (same filesystem). Every file appears
 * by rename, so readers never see partial content.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, lstat, mkdir, readFile, readdir, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path, { join, type PlatformPath } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { digestOf, isDigest, parseDigest, type Digest } from '../../oci/digest.js';
import { isValidRepositoryName, isValidTag } from '../../oci/names.js';
import { sniffManifestType } from '../oci-layout/layout.js';
import { ImageNotFoundError, type BlobInfo, type RawManifest } from '../types.js';
import { assertReadable, verified } from '../verify-stream.js';

const tmpName = (): string => `.tmp-${randomBytes(8).toString('hex')}`;

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    const st = await stat(path);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}

export class FileStoreError extends Error {
  readonly code = 'ERR_FILE_STORE';
}

/** `<root>/v2/<repo…>`, with the platform's separators (`p` is path.win32 in tests). */
export function repositoryDir(root: string, repository: string, p: PlatformPath = path): string {
  return p.join(p.resolve(root), 'v2', ...repository.split('/'));
}

/** One repository of a disk store. */
export class FileRepository {
  readonly dir: string;

  constructor(
    readonly root: string,
    readonly repository: string,
  ) {
    if (!isValidRepositoryName(repository)) throw new FileStoreError(`invalid repository name ${repository}`);
    this.dir = repositoryDir(root, repository);
  }

  blobPath(digest: Digest): string {
    return join(this.dir, 'blobs', parseDigest(digest).digest);
  }

  private manifestPath(name: string): string {
    if (!isDigest(name) && !isValidTag(name)) throw new FileStoreError(`invalid tag or digest ${name}`);
    return join(this.dir, 'manifests', name);
  }

  blobSize(digest: Digest): Promise<number | undefined> {
    return sizeOf(this.blobPath(digest));
  }

  async openBlob(digest: Digest, offset = 0): Promise<Readable> {
    if ((await this.blobSize(digest)) === undefined) throw new ImageNotFoundError(`${this.dir}: blob ${digest} is missing`);
    return createReadStream(this.blobPath(digest), { start: offset, highWaterMark: 1 << 20 });
  }

  /** Streams `body` into blobs/ (verified, fsynced, renamed into place). No-op when present with the right size. */
  async writeBlob(blob: BlobInfo, body: Readable): Promise<void> {
    // Wrapped before any await: its failures are recorded from the start (see verified()).
    const checked = verified(body, blob);
    let tmp: string | undefined;
    try {
      if ((await this.blobSize(blob.digest)) === blob.size) {
        checked.destroy();
        return;
      }
      const dir = join(this.dir, 'blobs');
      await mkdir(dir, { recursive: true });
      // The body may have failed while the directory was made (a short blob read and checked, a dropped source).
      assertReadable(checked, `blob ${blob.digest}`);
      tmp = join(dir, tmpName());
      await pipeline(checked, createWriteStream(tmp, { flags: 'wx', flush: true, highWaterMark: 1 << 20 }));
      await rename(tmp, this.blobPath(blob.digest));
    } catch (e) {
      checked.destroy();
      if (tmp !== undefined) await rm(tmp, { force: true });
      throw e;
    }
  }

  /** Hard-links `digest` from another repository's blobs/; false when it cannot. */
  async linkBlobFrom(other: FileRepository, digest: Digest): Promise<boolean> {
    if ((await other.blobSize(digest)) === undefined) return false;
    const dir = join(this.dir, 'blobs');
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, tmpName());
    try {
      await link(other.blobPath(digest), tmp);
      await rename(tmp, this.blobPath(digest));
      return true;
    } catch (e) {
      await rm(tmp, { force: true });
      if (['EXDEV', 'EPERM', 'EMLINK', 'ENOENT'].includes((e as NodeJS.ErrnoException).code ?? '')) return false;
      throw e;
    }
  }

  /** The digest a tag's symlink (or a stored digest) names, or undefined. */
  async resolve(reference: string): Promise<Digest | undefined> {
    const path = this.manifestPath(reference);
    if (isDigest(reference)) return (await sizeOf(path)) !== undefined || (await this.blobSize(reference as Digest)) !== undefined ? (reference as Digest) : undefined;
    try {
      const st = await lstat(path);
      if (!st.isSymbolicLink()) throw new FileStoreError(`${path} is not a symlink to a digest`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    const target = await readlink(path);
    if (!isDigest(target)) throw new FileStoreError(`${path} points at ${target}, not a digest`);
    return target as Digest;
  }

  async readManifest(reference: string): Promise<RawManifest> {
    const digest = await this.resolve(reference);
    if (digest === undefined) throw new ImageNotFoundError(`${this.dir}: no manifest ${reference}`);
    let bytes: Buffer;
    try {
      bytes = await readFile(this.manifestPath(digest));
    } catch {
      bytes = await readFile(this.blobPath(digest));
    }
    const got = digestOf(bytes, parseDigest(digest).algorithm);
    if (got !== digest) throw new FileStoreError(`${this.dir}: manifest ${digest} is corrupt (hashes to ${got})`);
    return { bytes, digest, mediaType: sniffManifestType(bytes) };
  }

  /** Writes blobs/<digest>, the manifests/<digest> hard link, and a tag symlink. */
  async putManifest(m: RawManifest, tag: string | undefined): Promise<void> {
    const blobs = join(this.dir, 'blobs');
    const manifests = join(this.dir, 'manifests');
    await mkdir(blobs, { recursive: true });
    await mkdir(manifests, { recursive: true });
    if ((await this.blobSize(m.digest)) !== m.bytes.length) {
      const tmp = join(blobs, tmpName());
      await writeFile(tmp, m.bytes, { flush: true });
      await rename(tmp, this.blobPath(m.digest));
    }
    if ((await sizeOf(this.manifestPath(m.digest))) === undefined) {
      const tmp = join(manifests, tmpName());
      await link(this.blobPath(m.digest), tmp);
      await rename(tmp, this.manifestPath(m.digest));
    }
    if (tag !== undefined) {
      const tmp = join(manifests, tmpName());
      await symlink(m.digest, tmp);
      await rename(tmp, this.manifestPath(tag));
    }
  }

  async tags(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(join(this.dir, 'manifests'));
    } catch {
      return [];
    }
    const out: string[] = [];
    for (const n of names) {
      if (n.startsWith('.') || isDigest(n) || !isValidTag(n)) continue;
      if ((await lstat(join(this.dir, 'manifests', n))).isSymbolicLink()) out.push(n);
    }
    return out.sort();
  }
}
