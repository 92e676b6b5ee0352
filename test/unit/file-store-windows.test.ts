/**
 * The disk store's Windows names, on a real directory: `sha256-<hex>` file
 * names and tag files holding the digest (no ':' and no symlink anywhere),
 * and media written in either form read back by the other.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { digestOf, type Digest } from '../../src/oci/digest.js';
import { digestOfFileName } from '../../src/transports/file-store/disk-names.js';
import { FileRepository, FileStoreError } from '../../src/transports/file-store/file-store.js';
import type { DiskPlatform } from '../../src/transports/file-store/disk-names.js';

const layer = Buffer.from('layer bytes of a windows-written store\n');
const config = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
const manifestBytes = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: digestOf(layer), size: layer.length }],
  }),
);
const manifest = { bytes: manifestBytes, digest: digestOf(manifestBytes) as Digest, mediaType: 'application/vnd.oci.image.manifest.v1+json' };

async function writeStore(root: string, platform: DiskPlatform): Promise<void> {
  const repo = new FileRepository(root, 'openshift/release', platform);
  for (const b of [layer, config]) await repo.writeBlob({ digest: digestOf(b) as Digest, size: b.length }, Readable.from([b]));
  await repo.putManifest(manifest, '4.12.0-x86_64');
}

async function allEntries(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String);
}

async function readBack(root: string, platform: DiskPlatform): Promise<void> {
  const repo = new FileRepository(root, 'openshift/release', platform);
  assert.deepEqual(await repo.tags(), ['4.12.0-x86_64'], `${platform} lists the tag`);
  assert.equal(await repo.resolve('4.12.0-x86_64'), manifest.digest);
  assert.equal(await repo.resolve(manifest.digest), manifest.digest);
  assert.ok((await repo.readManifest('4.12.0-x86_64')).bytes.equals(manifestBytes), 'manifest bytes unchanged');
  assert.ok((await buffer(await repo.openBlob(digestOf(layer) as Digest))).equals(layer));
  assert.equal(await repo.blobSize(digestOf(config) as Digest), config.length);
}

describe('file:// store names on Windows', () => {
  it('digestOfFileName reads both forms and nothing else', () => {
    const hex = 'ab'.repeat(32);
    assert.equal(digestOfFileName(`sha256:${hex}`), `sha256:${hex}`);
    assert.equal(digestOfFileName(`sha256-${hex}`), `sha256:${hex}`);
    assert.equal(digestOfFileName(`sha512-${'c'.repeat(128)}`), `sha512:${'c'.repeat(128)}`);
    for (const n of ['latest', `sha256-${hex}.sig`, `sha256-${hex.slice(2)}`, `md5-${hex}`, '4.12.0-x86_64']) assert.equal(digestOfFileName(n), undefined, n);
  });

  it('a win32 store has no colon and no symlink in any name, and Linux reads it', async () => {
    const root = await mkdtemp(join(tmpdir(), 'airlock-win-store-'));
    try {
      await writeStore(root, 'win32');
      const entries = await allEntries(join(root, 'v2'));
      assert.ok(entries.length >= 6, `entries written: ${entries.join(', ')}`);
      assert.deepEqual(entries.filter((e) => e.includes(':')), [], 'no file name holds a colon');
      for (const e of entries) assert.ok(!(await lstat(join(root, 'v2', e))).isSymbolicLink(), `${e} is not a symlink`);
      const tagFile = join(root, 'v2', 'openshift', 'release', 'manifests', '4.12.0-x86_64');
      assert.equal((await readFile(tagFile, 'utf8')).trim(), manifest.digest, 'the tag file holds the digest');
      assert.ok(entries.some((e) => e.endsWith(manifest.digest.replace(':', '-'))), 'manifest stored as sha256-<hex>');
      await readBack(root, 'posix');
      await readBack(root, 'win32');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('a Linux (oc) store is read on Windows', async () => {
    const root = await mkdtemp(join(tmpdir(), 'airlock-posix-store-'));
    try {
      await writeStore(root, 'posix');
      const tag = join(root, 'v2', 'openshift', 'release', 'manifests', '4.12.0-x86_64');
      assert.ok((await lstat(tag)).isSymbolicLink(), 'oc layout: the tag is a symlink');
      await readBack(root, 'win32');
      // A second write from Windows into the same store reuses what is there.
      await writeStore(root, 'win32');
      await readBack(root, 'posix');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('a tag file that does not hold a digest is refused in one line', async () => {
    const root = await mkdtemp(join(tmpdir(), 'airlock-bad-tag-'));
    try {
      await writeStore(root, 'win32');
      const tag = join(root, 'v2', 'openshift', 'release', 'manifests', '4.12.0-x86_64');
      await writeFile(tag, 'not a digest\n');
      const repo = new FileRepository(root, 'openshift/release', 'posix');
      await assert.rejects(repo.resolve('4.12.0-x86_64'), (e: Error) => e instanceof FileStoreError && /holds "not a digest", not a digest/.test(e.message) && !e.message.includes('\n'));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
