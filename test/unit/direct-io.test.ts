/**
 * Direct I/O for upload appends (issue 13): page-aligned staging buffers,
 * the positional append stream that sends aligned runs through O_DIRECT and
 * the rest through the page cache, the driver's fallback, and the paced
 * scavenges that keep socket buffers from piling up.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { constants, write as fsWrite } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { allocAligned, DIRECT_IO_ALIGN, isAligned } from '../../src/util/aligned-buffer.js';
import { FileAppendStream } from '../../src/storage/fs-append-stream.js';
import { FilesystemDriver } from '../../src/storage/fs-driver.js';
import { StagingPool } from '../../src/storage/staging-pool.js';
import { PACE_BYTES, streamed } from '../../src/util/gc-pacer.js';
import { stagedCopy } from '../../src/storage/staged-copy.js';
import { Readable } from 'node:stream';

const KiB = 1024;
const MiB = 1024 * KiB;
let dir: string;
before(async () => (dir = await mkdtemp(join(tmpdir(), 'airlock-direct-'))));
after(async () => rm(dir, { recursive: true, force: true }));

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

function aligned(content: Buffer): Buffer {
  const b = allocAligned(Math.ceil(content.length / (64 * KiB)) * 64 * KiB);
  content.copy(b);
  return b.subarray(0, content.length);
}

async function writeAll(s: FileAppendStream, chunks: Buffer[]): Promise<void> {
  for (const c of chunks) await new Promise<void>((res, rej) => s.write(c, (e) => (e ? rej(e) : res())));
  await new Promise<void>((res) => s.end(res));
}

describe('aligned buffers', () => {
  it('allocAligned gives a buffer an O_DIRECT write accepts; views off the boundary and plain buffers are not aligned', async () => {
    const b = allocAligned(MiB);
    assert.equal(b.length, MiB);
    assert.ok(isAligned(b));
    assert.ok(isAligned(b.subarray(DIRECT_IO_ALIGN)));
    assert.ok(!isAligned(b.subarray(512)));
    assert.ok(!isAligned(Buffer.allocUnsafeSlow(MiB)));
    assert.ok(!isAligned(allocAligned(1000)), 'not a whole number of wasm pages: an ordinary buffer');
    const fh = await open(join(dir, 'probe'), constants.O_WRONLY | constants.O_CREAT | constants.O_DIRECT);
    try {
      b.fill(7);
      const { bytesWritten } = await fh.write(b, 0, MiB, 0);
      assert.equal(bytesWritten, MiB);
    } finally {
      await fh.close();
    }
    assert.deepEqual(await readFile(join(dir, 'probe')), Buffer.alloc(MiB, 7));
  });

  it('the staging pool lends aligned buffers', () => {
    const pool = new StagingPool(256 * KiB, 2, 1);
    const a = pool.tryAcquire()!;
    assert.ok(isAligned(a));
    pool.release(a);
  });
});

describe('FileAppendStream', () => {
  it('writes aligned runs direct and the rest through the page cache, in order, from the file size at open', async () => {
    const path = join(dir, 'mixed');
    const head = pattern(1000, 1); // an unaligned start for the session
    await (await open(path, 'w')).writeFile(head);
    const fh = await open(path, constants.O_WRONLY);
    const direct = await open(path, constants.O_WRONLY | constants.O_DIRECT);
    const s = new FileAppendStream(fh.fd, direct.fd, head.length, () => assert.fail('no direct write should be refused'));
    // Starts unaligned: buffered; then realigns at 4096, after which aligned runs go direct.
    const chunks = [pattern(3096, 2), aligned(pattern(256 * KiB, 3)), aligned(pattern(128 * KiB + 100, 4)), pattern(5000, 5), aligned(pattern(64 * KiB, 6))];
    await writeAll(s, chunks);
    await direct.close();
    await fh.close();
    const want = Buffer.concat([head, ...chunks]);
    assert.deepEqual(await readFile(path), want);
    assert.equal(s.bytesWritten, want.length - head.length);
    // Direct: 256 KiB, then 128 KiB of the next (its 100-byte tail is buffered). After the 5000 unaligned bytes the offset is unaligned: all buffered.
    assert.equal(s.bufferedBytes, 3096 + 100 + 5000 + 64 * KiB);
  });

  it('a direct write refused with EINVAL is redone through the page cache, and the refusal is reported once', async () => {
    const path = join(dir, 'refused');
    const fh = await open(path, constants.O_WRONLY | constants.O_CREAT);
    const direct = await open(path, constants.O_WRONLY | constants.O_DIRECT);
    let refusals = 0;
    const refusingWrite = ((fd: number, buf: Buffer, off: number, len: number, pos: number, cb: (e: NodeJS.ErrnoException | null, n: number) => void) => {
      if (fd === direct.fd) return process.nextTick(cb, Object.assign(new Error('EINVAL: invalid argument, write'), { code: 'EINVAL' }), 0);
      fsWrite(fd, buf, off, len, pos, cb);
    }) as unknown as typeof fsWrite;
    const s = new FileAppendStream(fh.fd, direct.fd, 0, () => refusals++, refusingWrite);
    const chunks = [aligned(pattern(64 * KiB, 7)), aligned(pattern(64 * KiB, 8))];
    await writeAll(s, chunks);
    await direct.close();
    await fh.close();
    assert.deepEqual(await readFile(path), Buffer.concat(chunks));
    assert.equal(refusals, 1);
    assert.equal(s.bufferedBytes, 128 * KiB);
  });
});

describe('FilesystemDriver appends', () => {
  async function appendBuffers(driver: FilesystemDriver, path: string, chunks: Buffer[]): Promise<FileAppendStream> {
    const w = await driver.append(path);
    for (const c of chunks) await new Promise<void>((res, rej) => w.stream.write(c, (e) => (e ? rej(e) : res())));
    await w.commit();
    return w.stream as FileAppendStream;
  }

  it('staged (aligned) bytes bypass the page cache; resuming sessions continue at the file size', async () => {
    const driver = new FilesystemDriver(join(dir, 'root1'));
    const a = aligned(pattern(MiB, 9));
    const b = aligned(pattern(MiB + 10, 10));
    const s1 = await appendBuffers(driver, 'uploads/x/data', [a]);
    assert.equal(s1.bufferedBytes, 0, 'a whole aligned MiB goes direct');
    const s2 = await appendBuffers(driver, 'uploads/x/data', [b]);
    assert.equal(s2.bufferedBytes, 10, 'only the unaligned tail is buffered');
    assert.deepEqual(await readFile(driver.localPath('uploads/x/data')), Buffer.concat([a, b]));
  });

  it('a session that starts at an unaligned size realigns after its first staging buffer, so the rest still goes direct', async () => {
    const driver = new FilesystemDriver(join(dir, 'root3'));
    const pool = new StagingPool(256 * KiB, 4, 2);
    const first = pattern(100_000, 12); // a chunk of 100,000 bytes: the next session starts unaligned
    const second = pattern(2 * MiB + 777, 13);
    let stream: FileAppendStream | undefined;
    for (const [body, start] of [[first, 0], [second, first.length]] as const) {
      const w = await driver.append('uploads/z/data');
      stream = w.stream as FileAppendStream;
      const r = await stagedCopy(Readable.from([body.subarray(0, 5000), body.subarray(5000)]), async () => w.stream, { pool, idleMs: 5000, startOffset: start });
      assert.equal(r.received, body.length);
      await w.commit();
    }
    const gap = DIRECT_IO_ALIGN - (first.length % DIRECT_IO_ALIGN);
    const end = first.length + second.length;
    assert.equal(stream!.bufferedBytes, gap + (end % DIRECT_IO_ALIGN), 'only the bytes up to the boundary and the final tail are buffered');
    assert.deepEqual(await readFile(driver.localPath('uploads/z/data')), Buffer.concat([first, second]));
    assert.equal(pool.inUse, 0);
  });

  it('directIo: false writes everything through the page cache, with the same bytes', async () => {
    const driver = new FilesystemDriver(join(dir, 'root2'), { directIo: false });
    const a = aligned(pattern(MiB, 11));
    const s = await appendBuffers(driver, 'uploads/y/data', [a]);
    assert.equal(s.bufferedBytes, MiB);
    assert.deepEqual(await readFile(driver.localPath('uploads/y/data')), a);
  });
});

describe('gc pacer', () => {
  function minorGcsDuring(work: () => void): Promise<number> {
    return new Promise((resolve) => {
      let n = 0;
      const obs = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) if (((e as unknown as { detail?: { kind?: number } }).detail)?.kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) n++;
      });
      obs.observe({ entryTypes: ['gc'] });
      work();
      setTimeout(() => {
        obs.disconnect();
        resolve(n);
      }, 50);
    });
  }

  it('runs one minor GC per PACE_BYTES streamed, counted across calls', async () => {
    const none = await minorGcsDuring(() => streamed(PACE_BYTES / 4));
    const some = await minorGcsDuring(() => {
      for (let i = 0; i < 16; i++) streamed(PACE_BYTES / 4);
    });
    assert.ok(some >= 4, `16 quarter-paces: at least 4 minor GCs, saw ${some}`);
    assert.ok(some - none >= 3);
  });

  it('works in a process started without --expose-gc', () => {
    const mod = fileURLToPath(new URL('../../src/util/gc-pacer.js', import.meta.url));
    const code = `
      import { PerformanceObserver, constants } from 'node:perf_hooks';
      const { streamed, PACE_BYTES } = await import(${JSON.stringify(mod)});
      let n = 0;
      new PerformanceObserver((l) => { for (const e of l.getEntries()) if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) n++; }).observe({ entryTypes: ['gc'] });
      if (typeof globalThis.gc === 'function') throw new Error('gc is exposed already');
      for (let i = 0; i < 8; i++) streamed(PACE_BYTES);
      setTimeout(() => console.log(n), 50);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(Number(r.stdout.trim()) >= 8, `8 paces: at least 8 minor GCs, saw ${r.stdout.trim()}`);
  });
});
