import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { PathNotFoundError, type StorageDriver } from '../../src/storage/driver.js';
import { FilesystemDriver } from '../../src/storage/fs-driver.js';
import { BlobStore, DigestMismatchError, blobPath, uploadPath } from '../../src/storage/blob-store.js';
import { digestOf } from '../../src/oci/digest.js';

async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The StorageDriver contract; an S3 driver must pass the same suite. */
function describeDriver(name: string, make: () => Promise<{ driver: StorageDriver; cleanup(): Promise<void> }>): void {
  describe(`StorageDriver contract: ${name}`, () => {
    let driver: StorageDriver;
    let cleanup: () => Promise<void>;
    before(async () => ({ driver, cleanup } = await make()));
    after(async () => cleanup());

    it('appends across writers, commits durably, reads whole and by range', async () => {
      for (const part of ['hello ', 'world']) {
        const w = await driver.append('a/b/file');
        w.stream.write(part);
        await w.commit();
      }
      assert.equal((await driver.stat('a/b/file'))?.size, 11);
      assert.equal((await readAll(await driver.read('a/b/file'))).toString(), 'hello world');
      assert.equal((await readAll(await driver.read('a/b/file', { start: 6, end: 10 }))).toString(), 'world');
    });

    it('reports missing paths as undefined / PathNotFoundError', async () => {
      assert.equal(await driver.stat('nope'), undefined);
      await assert.rejects(driver.read('nope'), PathNotFoundError);
      await assert.rejects(driver.move('nope', 'x'), PathNotFoundError);
    });

    it('moves atomically, replacing the target, and deletes prefixes', async () => {
      const w = await driver.append('tmp/one');
      w.stream.write('1');
      await w.commit();
      await driver.move('tmp/one', 'final/x');
      assert.equal(await driver.stat('tmp/one'), undefined);
      assert.equal((await readAll(await driver.read('final/x'))).toString(), '1');
      assert.deepEqual(await driver.list('final'), ['x']);
      await driver.delete('final');
      assert.deepEqual(await driver.list('final'), []);
      await driver.delete('final'); // missing is fine
    });

    it('refuses paths that escape the root', async () => {
      await assert.rejects(driver.stat('../outside'), /escapes the storage root/);
      await assert.rejects(driver.append('a/../../outside'), /escapes the storage root/);
      await assert.rejects(driver.delete('/etc'), /escapes the storage root/);
    });
  });
}

describeDriver('filesystem', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-driver-'));
  return { driver: new FilesystemDriver(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

describe('BlobStore', () => {
  let dir: string;
  let store: BlobStore;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-blobs-'));
    store = new BlobStore(new FilesystemDriver(dir));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('builds paths only from valid digests and upload ids', () => {
    assert.throws(() => blobPath('sha256:../../etc/passwd' as never), /invalid digest/);
    assert.throws(() => uploadPath('../../x'), /invalid upload id/);
    const d = digestOf('x');
    assert.equal(blobPath(d), `blobs/sha256/${d.slice(7, 9)}/${d.slice(7)}`);
  });

  it('commits a verified upload once and deduplicates a second identical upload', async () => {
    const data = Buffer.from('content-addressed');
    const d = digestOf(data);
    const recorded: number[] = [];
    for (const id of ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002']) {
      await store.append(id, Readable.from([data.subarray(0, 5)]), 0);
      await store.append(id, Readable.from([data.subarray(5)]), 5);
      await store.commitUpload(id, d, async (n) => void recorded.push(n));
    }
    assert.deepEqual(recorded, [data.length, data.length]);
    assert.equal((await readAll(await store.open(d))).toString(), 'content-addressed');
    assert.deepEqual(await store.listUploads(), []);
  });

  it('rejects a wrong digest and leaves nothing in the blob pool', async () => {
    const id = '00000000-0000-4000-8000-000000000003';
    await store.append(id, Readable.from([Buffer.from('abc')]), 0);
    const wrong = digestOf('abd');
    await assert.rejects(store.commitUpload(id, wrong, async () => undefined), DigestMismatchError);
    assert.equal(await store.size(wrong), undefined);
  });

  it('re-hashes from the file when the in-memory state is gone (restart) and for sha512', async () => {
    const data = Buffer.from('sha512 content');
    const id = '00000000-0000-4000-8000-000000000004';
    await store.append(id, Readable.from([data]), 0);
    const fresh = new BlobStore(store.driver); // no hash state, as after a restart
    const d = digestOf(data, 'sha512');
    await fresh.commitUpload(id, d, async () => undefined);
    assert.equal((await readAll(await fresh.open(d))).toString(), 'sha512 content');
  });

  it('creates an upload file only at its first byte; an upload without bytes commits as the empty blob', async () => {
    const silent = '00000000-0000-4000-8000-000000000006';
    const r = await store.append(silent, Readable.from([]), 0);
    assert.deepEqual(r, { size: 0, stalled: false });
    assert.equal(await store.uploadSize(silent), undefined, 'an empty body must not create the upload file');
    assert.ok(!(await readdir(join(dir, 'uploads')).catch(() => [] as string[])).includes(silent), 'nor its directory');
    const empty = digestOf(Buffer.alloc(0));
    assert.equal(await store.commitUpload(silent, empty, async () => undefined), 0);
    assert.equal(await store.size(empty), 0);
  });

  it('puts a committed blob back into its session when recording it fails', async () => {
    const id = '00000000-0000-4000-8000-000000000007';
    const data = Buffer.from('recorded later');
    await store.append(id, Readable.from([data]), 0);
    const d = digestOf(data);
    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    await assert.rejects(store.commitUpload(id, d, async () => Promise.reject(full)), /disk is full/);
    assert.equal(await store.size(d), undefined, 'no blob file may stay in the pool');
    assert.equal(await store.uploadSize(id), data.length, 'the bytes are back in the session');
    assert.equal(await store.commitUpload(id, d, async () => undefined), data.length, 'a retry commits them');
  });

  it('does not follow a symlink planted as an upload path outside the root', async () => {
    const outside = join(dir, '..', `outside-${process.pid}`);
    await writeFile(outside, 'secret');
    const id = '00000000-0000-4000-8000-000000000005';
    await mkdir(join(dir, 'uploads', id), { recursive: true });
    await symlink(outside, join(dir, 'uploads', id, 'data'));
    // Committing would move the symlink, not the target; the digest check fails on the target's bytes.
    await assert.rejects(store.commitUpload(id, digestOf('other'), async () => undefined), DigestMismatchError);
    await rm(outside, { force: true });
  });
});
