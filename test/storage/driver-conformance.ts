/**
 * The StorageDriver conformance suite (after distribution's driver test
 * suite): every implementation runs it against a real store. Contracts are
 * the ones stated in src/storage/driver.ts.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { PathNotFoundError, type AppendOptions, type StorageDriver } from '../../src/storage/driver.js';

export interface DriverUnderTest {
  /** A driver on a fresh, empty store (or key prefix). */
  make(): Promise<StorageDriver>;
  /** Another instance on the same store as `d` (another replica); shares no memory with it. */
  fresh(d: StorageDriver): Promise<StorageDriver>;
  /** Whether redirectURL gives a URL (S3) or undefined (filesystem). */
  readonly redirects: boolean;
  cleanup?(d: StorageDriver): Promise<void>;
}

const MiB = 1 << 20;

export async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function appendSession(d: StorageDriver, path: string, data: Buffer, opts: AppendOptions = {}): Promise<void> {
  const w = await d.append(path, opts);
  // Written in uneven pieces from one reused buffer, as the blob store's staging does.
  const scratch = Buffer.alloc(300_000);
  for (let off = 0; off < data.length; off += scratch.length) {
    const n = data.copy(scratch, 0, off, Math.min(data.length, off + scratch.length));
    await new Promise<void>((res, rej) => w.stream.write(scratch.subarray(0, n), (e) => (e ? rej(e) : res())));
  }
  await w.commit();
}

/** `total` pseudo-random bytes in 1 MiB chunks, generated as read (never held whole). */
function generated(total: number, seed: string): Readable {
  let i = 0;
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const n = Math.min(MiB, total - sent);
      const block = Buffer.alloc(n);
      const h = createHash('sha256').update(`${seed}:${i++}`).digest();
      for (let o = 0; o < n; o += h.length) h.copy(block, o);
      sent += n;
      this.push(block);
    },
  });
}

async function sha256(r: Readable): Promise<string> {
  const h = createHash('sha256');
  for await (const c of r) h.update(c as Buffer);
  return h.digest('hex');
}

/**
 * Peak growth of live ArrayBuffer memory while fn runs. Garbage that the
 * collector has not reached yet is not held memory, so each sample is taken
 * after a collection (the runner starts node with --expose-gc); without gc the
 * bound would measure the collector's laziness, not the driver.
 */
async function peakBufferGrowth(fn: () => Promise<void>): Promise<number> {
  const gc = global.gc;
  gc?.();
  const base = process.memoryUsage().arrayBuffers;
  let peak = base;
  const sample = (): void => {
    gc?.();
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  };
  const t = setInterval(sample, gc ? 20 : 5);
  try {
    await fn();
  } finally {
    clearInterval(t);
  }
  sample();
  return peak - base;
}

export function driverConformance(name: string, sut: DriverUnderTest): void {
  describe(`StorageDriver conformance: ${name}`, () => {
    let d: StorageDriver;
    before(async () => (d = await sut.make()));
    after(async () => sut.cleanup?.(d));

    it('writes and reads whole files; a write replaces the file', async () => {
      const a = randomBytes(100_000);
      assert.equal(await d.write('rt/a', Readable.from([a])), a.length);
      assert.equal((await d.stat('rt/a'))?.size, a.length);
      assert.ok((await d.stat('rt/a'))!.modifiedAt instanceof Date);
      assert.deepEqual(await readAll(await d.read('rt/a')), a);
      assert.equal(await d.write('rt/a', Readable.from([Buffer.from('short')])), 5);
      assert.equal((await readAll(await d.read('rt/a'))).toString(), 'short');
      assert.equal(await d.write('rt/empty', Readable.from([])), 0);
      assert.equal((await d.stat('rt/empty'))?.size, 0);
      assert.equal((await readAll(await d.read('rt/empty'))).length, 0);
    });

    it('reads byte ranges: first, last and single bytes, and across part boundaries of an appended file', async () => {
      const data = randomBytes(11 * MiB + 123);
      await d.write('rg/w', Readable.from([data]));
      await appendSession(d, 'rg/a', Buffer.alloc(0)); // an empty session is harmless
      await appendSession(d, 'rg/a', data.subarray(0, 6 * MiB));
      await appendSession(d, 'rg/a', data.subarray(6 * MiB));
      for (const p of ['rg/w', 'rg/a']) {
        for (const [start, end] of [[0, 0], [0, 99], [5 * MiB - 10, 5 * MiB + 10], [8 * MiB - 1, 10 * MiB + 1], [data.length - 1, data.length - 1], [3, data.length - 1]] as const) {
          const got = await readAll(await d.read(p, { start, end }));
          assert.ok(got.equals(data.subarray(start, end + 1)), `${p} bytes ${start}-${end}`);
        }
      }
    });

    it('reports missing paths: stat undefined, read and move PathNotFoundError, delete and list harmless', async () => {
      assert.equal(await d.stat('missing/x'), undefined);
      await assert.rejects(d.read('missing/x'), PathNotFoundError);
      await assert.rejects(d.read('missing/x', { start: 0, end: 1 }), PathNotFoundError);
      await assert.rejects(d.move('missing/x', 'missing/y'), PathNotFoundError);
      await d.delete('missing/x');
      assert.deepEqual(await d.listPage('missing'), { names: [] });
      assert.deepEqual(await d.list('missing'), []);
    });

    it('keeps concurrent writers to different paths apart', async () => {
      const bodies = Array.from({ length: 8 }, (_, i) => randomBytes(256 * 1024 + i * 977));
      await Promise.all(bodies.map((b, i) => d.write(`cw/${i}`, Readable.from([b.subarray(0, 1000), b.subarray(1000)]))));
      await Promise.all(bodies.map((b, i) => appendSession(d, `ca/${i}`, b)));
      for (const [i, b] of bodies.entries()) {
        assert.deepEqual(await readAll(await d.read(`cw/${i}`)), b);
        assert.deepEqual(await readAll(await d.read(`ca/${i}`)), b);
      }
    });

    it('leaves exactly one whole body when concurrent writers race on one path', async () => {
      const bodies = Array.from({ length: 5 }, () => randomBytes(6 * MiB + 1));
      await Promise.all(bodies.map((b) => d.write('race/x', Readable.from([b.subarray(0, 3 * MiB), b.subarray(3 * MiB)]))));
      const got = await readAll(await d.read('race/x'));
      assert.ok(bodies.some((b) => b.equals(got)), 'the file is one of the bodies, whole');
      assert.deepEqual(await d.list('race'), ['x']);
    });

    it('cancelling a write (signal) mid-body leaves nothing visible, and an older file untouched', async () => {
      for (const path of ['cancel/new', 'cancel/old']) {
        if (path === 'cancel/old') await d.write(path, Readable.from([Buffer.from('old')]));
        const ac = new AbortController();
        let sent = 0;
        const body = new Readable({
          read() {
            if (sent >= 7 * MiB) {
              ac.abort();
              return; // never ends by itself
            }
            sent += MiB;
            this.push(randomBytes(MiB));
          },
        });
        await assert.rejects(d.write(path, body, { signal: ac.signal }));
        if (path === 'cancel/new') {
          assert.equal(await d.stat(path), undefined);
          assert.deepEqual(await d.list('cancel'), []);
        } else {
          assert.equal((await readAll(await d.read(path))).toString(), 'old');
        }
      }
    });

    it('a cancelled append session keeps a prefix of what was sent, and the next session continues from its size', async () => {
      const data = randomBytes(8 * MiB);
      await appendSession(d, 'ac/x', data.subarray(0, 1000));
      const ac = new AbortController();
      const w = await d.append('ac/x', { signal: ac.signal });
      await new Promise<void>((res) => w.stream.write(data.subarray(1000, 6 * MiB), () => res()));
      ac.abort();
      await assert.rejects(w.commit());
      const size = (await d.stat('ac/x'))!.size;
      assert.ok(size >= 1000 && size <= 6 * MiB, `size ${size}`);
      assert.ok((await readAll(await d.read('ac/x'))).equals(data.subarray(0, size)));
      await appendSession(d, 'ac/x', data.subarray(size));
      assert.ok((await readAll(await d.read('ac/x'))).equals(data));
      const w2 = await d.append('ac/y');
      w2.stream.write(Buffer.from('gone?'));
      await w2.abort();
      const y = await d.stat('ac/y');
      assert.ok(y === undefined || (await readAll(await d.read('ac/y'))).equals(Buffer.from('gone?').subarray(0, y.size)));
    });

    it('streams a 64 MiB object in and out in constant memory', async () => {
      const size = 64 * MiB;
      const want = await sha256(generated(size, 'big'));
      const growthIn = await peakBufferGrowth(async () => assert.equal(await d.write('big/x', generated(size, 'big')), size));
      assert.equal((await d.stat('big/x'))?.size, size);
      let got = '';
      const growthOut = await peakBufferGrowth(async () => void (got = await sha256(await d.read('big/x'))));
      assert.equal(got, want);
      assert.ok(growthIn < 40 * MiB, `write held ${growthIn >> 20} MiB of buffers`);
      assert.ok(growthOut < 40 * MiB, `read held ${growthOut >> 20} MiB of buffers`);
      await d.delete('big/x');
    });

    it('appends across several sessions, reaching and crossing part boundaries (5 MiB)', async () => {
      const sizes = [1024, 3 * MiB, 3 * MiB, 5 * MiB, 7, 6 * MiB - 7, 1];
      const data = randomBytes(sizes.reduce((a, b) => a + b, 0));
      let off = 0;
      for (const n of sizes) {
        await appendSession(d, 'ap/x', data.subarray(off, off + n));
        off += n;
        assert.equal((await d.stat('ap/x'))?.size, off);
      }
      assert.ok((await readAll(await d.read('ap/x'))).equals(data));
      await d.move('ap/x', 'ap/final');
      assert.equal(await d.stat('ap/x'), undefined);
      assert.ok((await readAll(await d.read('ap/final'))).equals(data));
      assert.deepEqual(await d.list('ap'), ['final']);
    });

    it('one append session of many parts (several uploading at once) reads back whole and moves whole', async () => {
      const data = randomBytes(23 * MiB + 11);
      await appendSession(d, 'mp/x', data);
      assert.equal((await d.stat('mp/x'))?.size, data.length);
      assert.ok((await readAll(await d.read('mp/x', { start: 5 * MiB - 3, end: 15 * MiB + 3 }))).equals(data.subarray(5 * MiB - 3, 15 * MiB + 4)));
      await d.move('mp/x', 'mp/blob');
      assert.ok((await readAll(await d.read('mp/blob'))).equals(data));
      assert.deepEqual(await d.list('mp'), ['blob']);
    });

    it('append sessions with a declared length: exact ones are stored and continue; a short one keeps all or nothing', async () => {
      const data = randomBytes(19 * MiB + 3);
      await appendSession(d, 'dl/x', data.subarray(0, 7 * MiB), { length: 7 * MiB });
      await appendSession(d, 'dl/x', data.subarray(7 * MiB, 13 * MiB), { length: 6 * MiB });
      assert.equal((await d.stat('dl/x'))?.size, 13 * MiB);
      // Declared 8 MiB, sent 6: rejected with nothing kept (S3), or kept as sent (filesystem).
      const short = await appendSession(d, 'dl/x', data.subarray(13 * MiB), { length: 8 * MiB }).then(() => 'kept', () => 'rejected');
      const size = (await d.stat('dl/x'))!.size;
      assert.equal(size, short === 'kept' ? data.length : 13 * MiB, `short session ${short}`);
      if (size < data.length) await appendSession(d, 'dl/x', data.subarray(size));
      assert.ok((await readAll(await d.read('dl/x'))).equals(data));
      // A cancelled declared session keeps a prefix too, and the next continues from its size.
      const ac = new AbortController();
      const w = await d.append('dl/y', { signal: ac.signal, length: 9 * MiB });
      await new Promise<void>((res) => w.stream.write(data.subarray(0, 6 * MiB), () => res()));
      ac.abort();
      await assert.rejects(w.commit());
      const ySize = (await d.stat('dl/y'))?.size ?? 0;
      assert.ok(ySize <= 6 * MiB, `size ${ySize}`);
      await appendSession(d, 'dl/y', data.subarray(ySize, 9 * MiB), { length: 9 * MiB - ySize });
      await d.move('dl/y', 'dl/done');
      assert.ok((await readAll(await d.read('dl/done'))).equals(data.subarray(0, 9 * MiB)));
      await d.delete('dl');
      assert.deepEqual(await d.list('dl'), []);
    });

    it('an append session dropped without commit or abort (a crash) leaves the file as it was; delete removes all of it', async () => {
      const data = randomBytes(12 * MiB);
      await appendSession(d, 'cr/x', data.subarray(0, 2 * MiB));
      const w = await d.append('cr/x');
      await new Promise<void>((res) => w.stream.write(data.subarray(2 * MiB), () => res()));
      // Never committed: another replica sees a prefix of what was sent.
      const other = await sut.fresh(d);
      const size = (await other.stat('cr/x'))!.size;
      assert.ok(size >= 2 * MiB && size <= data.length, `size ${size}`);
      assert.ok((await readAll(await other.read('cr/x'))).equals(data.subarray(0, size)));
      await w.abort();
      await other.delete('cr');
      assert.equal(await d.stat('cr/x'), undefined);
      assert.deepEqual(await d.list('cr'), []);
    });

    it('resumes an append from a fresh driver instance (another replica) and moves it from there', async () => {
      const other = await sut.fresh(d);
      const data = randomBytes(13 * MiB + 5);
      await appendSession(d, 'rs/x', data.subarray(0, 3 * MiB));
      assert.equal((await other.stat('rs/x'))?.size, 3 * MiB);
      await appendSession(other, 'rs/x', data.subarray(3 * MiB, 9 * MiB));
      await appendSession(d, 'rs/x', data.subarray(9 * MiB));
      assert.equal((await other.stat('rs/x'))?.size, data.length);
      assert.ok((await readAll(await other.read('rs/x', { start: 2 * MiB, end: 10 * MiB }))).equals(data.subarray(2 * MiB, 10 * MiB + 1)));
      await other.move('rs/x', 'rs/done');
      assert.ok((await readAll(await d.read('rs/done'))).equals(data));
    });

    it('moves: the target is replaced whole, the source is gone', async () => {
      await d.write('mv/a', Readable.from([Buffer.from('AAA')]));
      await d.write('mv/b', Readable.from([Buffer.from('bbbbbb')]));
      await d.move('mv/a', 'mv/b');
      assert.equal(await d.stat('mv/a'), undefined);
      assert.equal((await readAll(await d.read('mv/b'))).toString(), 'AAA');
      await d.move('mv/b', 'mv/deeper/c/d');
      assert.equal((await readAll(await d.read('mv/deeper/c/d'))).toString(), 'AAA');
      assert.deepEqual(await d.list('mv'), ['deeper']);
    });

    it('deletes a file with everything under it, and nothing beside it', async () => {
      for (const p of ['dp/a', 'dp/a/x', 'dp/a/y/z', 'dp/ab', 'dp/a-b']) await d.write(p === 'dp/a' ? 'dp/a0' : p, Readable.from([Buffer.from(p)]));
      await appendSession(d, 'dp/a/app', Buffer.from('appended'));
      await d.delete('dp/a');
      assert.equal(await d.stat('dp/a/x'), undefined);
      assert.equal(await d.stat('dp/a/y/z'), undefined);
      assert.equal(await d.stat('dp/a/app'), undefined);
      assert.deepEqual((await d.list('dp')).sort(), ['a-b', 'a0', 'ab']);
    });

    it('lists many entries in pages, in order, each once', async () => {
      const files = Array.from({ length: 1010 }, (_, i) => `f${String(i).padStart(5, '0')}`);
      const dirs = Array.from({ length: 20 }, (_, i) => `d${String(i).padStart(3, '0')}`);
      const all = [...files, ...dirs];
      for (let i = 0; i < all.length; i += 50) {
        await Promise.all(all.slice(i, i + 50).map((n) => d.write(n.startsWith('d') ? `ls/${n}/inner` : `ls/${n}`, Readable.from([Buffer.from(n)]))));
      }
      await appendSession(d, 'ls/zz-appending', Buffer.from('partial'));
      const want = [...all, 'zz-appending'].sort();
      const seen: string[] = [];
      let pages = 0;
      for (let after: string | undefined; ; pages++) {
        const page = await d.listPage('ls', { limit: 97, ...(after !== undefined ? { after } : {}) });
        assert.ok(page.names.length <= 97);
        seen.push(...page.names);
        if (page.next === undefined) break;
        assert.equal(page.names.length, 97, 'only the last page is short');
        after = page.next;
      }
      assert.deepEqual(seen, want);
      assert.equal(pages, Math.ceil(want.length / 97) - 1);
      assert.deepEqual(await d.list('ls'), want);
      assert.deepEqual((await d.listPage('ls', { after: 'f01000', limit: 3 })).names, ['f01001', 'f01002', 'f01003']);
    });

    it('gives a redirect URL that serves the file, or none', async () => {
      await d.write('rd/x', Readable.from([Buffer.from('redirected bytes')]));
      const url = await d.redirectURL('rd/x', 60);
      if (!sut.redirects) return assert.equal(url, undefined);
      assert.ok(url && /^https?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(url), String(url));
      assert.match(url, /X-Amz-Expires=60/);
      const r = await fetch(url);
      assert.equal(r.status, 200);
      assert.equal(await r.text(), 'redirected bytes');
      const ranged = await fetch(url, { headers: { range: 'bytes=11-15' } });
      assert.equal(ranged.status, 206);
      assert.equal(await ranged.text(), 'bytes');
    });

    it('check() passes on a usable store', async () => {
      await d.check();
    });
  });
}
