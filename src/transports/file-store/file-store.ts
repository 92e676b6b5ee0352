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
 * On Windows digests are written `sha256-<hex>` and tags are small files
 * holding the digest (disk-names.ts); both forms are read everywhere.
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
import { digestFileName, digestFileNames, digestOfFileName, hostDiskPlatform, TAG_FILE_MAX_BYTES, type DiskPlatform } from './disk-names.js';
import { assertReadable, verified } from '../verify-stream.js';

/** link() errors that mean "this filesystem or volume has no hard links here". */
const LINK_UNSUPPORTED = ['EPERM', 'ENOTSUP', 'EXDEV', 'EMLINK', 'ENOSYS'];

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
    /** How names are written (`win32`: `sha256-<hex>` and tag files); both forms are always read. */
    readonly platform: DiskPlatform = hostDiskPlatform(),
  ) {
    if (!isValidRepositoryName(repository)) throw new FileStoreError(`invalid repository name ${repository}`);
    this.dir = repositoryDir(root, repository);
  }

  /** Where a blob is written (the platform's name). */
  blobPath(digest: Digest): string {
    return join(this.dir, 'blobs', digestFileName(parseDigest(digest).digest as Digest, this.platform));
  }

  /** Where a blob is stored under either name, or undefined; with its size. */
  private async findBlob(digest: Digest): Promise<{ path: string; size: number } | undefined> {
    for (const name of digestFileNames(parseDigest(digest).digest as Digest, this.platform)) {
      const path = join(this.dir, 'blobs', name);
      const size = await sizeOf(path);
      if (size !== undefined) return { path, size };
    }
    return undefined;
  }

  private manifestPath(name: string): string {
    if (isDigest(name)) return join(this.dir, 'manifests', digestFileName(name as Digest, this.platform));
    if (!isValidTag(name)) throw new FileStoreError(`invalid tag or digest ${name}`);
    return join(this.dir, 'manifests', name);
  }

  async blobSize(digest: Digest): Promise<number | undefined> {
    return (await this.findBlob(digest))?.size;
  }

  async openBlob(digest: Digest, offset = 0): Promise<Readable> {
    const found = await this.findBlob(digest);
    if (found === undefined) throw new ImageNotFoundError(`${this.dir}: blob ${digest} is missing`);
    return createReadStream(found.path, { start: offset, highWaterMark: 1 << 20 });
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
    const found = await other.findBlob(digest);
    if (found === undefined) return false;
    const dir = join(this.dir, 'blobs');
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, tmpName());
    try {
      await link(found.path, tmp);
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
    if (isDigest(reference)) return (await this.findManifest(reference as Digest)) !== undefined || (await this.blobSize(reference as Digest)) !== undefined ? (reference as Digest) : undefined;
    const path = this.manifestPath(reference);
    let st;
    try {
      st = await lstat(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    if (st.isFile() && st.size <= TAG_FILE_MAX_BYTES) {
      const text = (await readFile(path, 'utf8')).trim();
      if (!isDigest(text)) throw new FileStoreError(`${path} holds ${JSON.stringify(text.slice(0, 80))}, not a digest`);
      return text as Digest;
    }
    if (!st.isSymbolicLink()) throw new FileStoreError(`${path} is neither a symlink to a digest nor a file holding one`);
    const target = await readlink(path);
    const digest = digestOfFileName(target);
    if (digest === undefined) throw new FileStoreError(`${path} points at ${target}, not a digest`);
    return digest;
  }

  /** manifests/<digest> under either name, or undefined. */
  private async findManifest(digest: Digest): Promise<string | undefined> {
    for (const name of digestFileNames(digest, this.platform)) {
      const path = join(this.dir, 'manifests', name);
      if ((await sizeOf(path)) !== undefined) return path;
    }
    return undefined;
  }

  async readManifest(reference: string): Promise<RawManifest> {
    const digest = await this.resolve(reference);
    if (digest === undefined) throw new ImageNotFoundError(`${this.dir}: no manifest ${reference}`);
    const path = (await this.findManifest(digest)) ?? (await this.findBlob(digest))?.path;
    if (path === undefined) throw new ImageNotFoundError(`${this.dir}: no manifest ${reference}`);
    const bytes = await readFile(path);
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
    if ((await this.findManifest(m.digest)) === undefined) {
      const tmp = join(manifests, tmpName());
      try {
        await link((await this.findBlob(m.digest))!.path, tmp);
      } catch (e) {
        // exFAT/FAT removable media have no hard links: a copy of the bytes reads the same.
        if (!LINK_UNSUPPORTED.includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
        await writeFile(tmp, m.bytes, { flag: 'wx', flush: true });
      }
      await rename(tmp, this.manifestPath(m.digest));
    }
    if (tag !== undefined) {
      const tmp = join(manifests, tmpName());
      await this.writeTagTarget(m.digest, tmp);
      await rename(tmp, this.manifestPath(tag));
    }
  }

  /** A symlink naming the digest; on Windows, or where symlinks are refused (EPERM), a file holding it. */
  private async writeTagTarget(digest: Digest, tmp: string): Promise<void> {
    if (this.platform === 'posix') {
      try {
        await symlink(digest, tmp);
        return;
      } catch (e) {
        if (!['EPERM', 'EACCES', 'ENOTSUP'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
      }
    }
    await writeFile(tmp, `${digest}\n`, { flag: 'wx', flush: true });
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
      if (n.startsWith('.') || digestOfFileName(n) !== undefined || !isValidTag(n)) continue;
      const st = await lstat(join(this.dir, 'manifests', n));
      if (st.isSymbolicLink() || (st.isFile() && st.size <= TAG_FILE_MAX_BYTES)) out.push(n);
    }
    return out.sort();
  }
}
