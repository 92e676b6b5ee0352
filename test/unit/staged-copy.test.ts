/**
 * The upload copier (storage/staged-copy.ts) against real files: bytes
 * arrive in order whether they are staged in pooled buffers or written as
 * they come, the pool bounds the buffers in use and gets them all back, a
 * silent body stops after the idle timeout with everything it sent on disk,
 * and an empty body opens nothing.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, type Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DigestHasher } from '../../src/oci/digest.js';
import { SizeMismatchError, stagedCopy } from '../../src/storage/staged-copy.js';
import { StagingPool } from '../../src/storage/staging-pool.js';

const KiB = 1024;
const MiB = 1024 * KiB;

let dir: string;
let n = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-staged-'));
});
after(async () => rm(dir, { recursive: true, force: true }));

/** A file sink opened on demand; `opened` says whether the copier asked for it. */
function fileSink(): { path: string; open: () => Promise<Writable>; opened: () => boolean; closed: Promise<void> } {
  const path = join(dir, `out-${++n}`);
  let ws: Writable | undefined;
  let closeIt!: () => void;
  const closed = new Promise<void>((r) => (closeIt = r));
  return {
    path,
    opened: () => ws !== undefined,
    closed,
    open: async () => {
      ws = createWriteStream(path);
      ws.once('close', closeIt);
      return ws;
    },
  };
}

async function finish(ws: Writable | undefined): Promise<void> {
  if (ws) await new Promise<void>((r) => ws.end(r));
}

/** `data` in pieces of `piece` bytes, pausing `pauseMs` after every `every` pieces. */
function paced(data: Buffer, piece: number, pauseMs: number, every = 1): Readable {
  async function* gen(): AsyncGenerator<Buffer> {
    for (let off = 0, i = 0; off < data.length; off += piece, i++) {
      yield data.subarray(off, off + piece);
      if (pauseMs > 0 && i % every === every - 1) await sleep(pauseMs);
    }
  }
  return Readable.from(gen(), { objectMode: false });
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('stagedCopy', () => {
  it('copies a fast body through pooled buffers byte-exact and returns every buffer', async () => {
    const pool = new StagingPool(1 * MiB, 4, 1);
    const data = randomBytes(9 * MiB + 123);
    const sink = fileSink();
    let ws: Writable | undefined;
    const hasher = new DigestHasher('sha256');
    const r = await stagedCopy(paced(data, 64 * KiB, 0), async () => (ws = await sink.open()), { pool, hasher, idleMs: 5000 });
    await finish(ws);
    assert.deepEqual(r, { received: data.length, stalled: false });
    assert.equal(sha(await readFile(sink.path)), sha(data));
    assert.equal(hasher.digest(), `sha256:${sha(data)}`);
    assert.equal(pool.inUse, 0, 'every staging buffer is back in the pool');
  });

  it('keeps order when uploads outnumber the pool (the rest write chunks directly) and when a stream slows down and speeds up', async () => {
    const pool = new StagingPool(256 * KiB, 2, 0);
    const bodies = Array.from({ length: 5 }, (_, i) => randomBytes(3 * MiB + i * 777));
    const sinks = bodies.map(() => fileSink());
    let maxInUse = 0;
    const watch = setInterval(() => (maxInUse = Math.max(maxInUse, pool.inUse)), 1);
    const results = await Promise.all(
      bodies.map(async (data, i) => {
        let ws: Writable | undefined;
        // Body 0 alternates bursts and pauses longer than a tick, so it is demoted and promoted.
        const body = i === 0 ? paced(data, 32 * KiB, 300, 40) : paced(data, 16 * KiB, 0);
        const r = await stagedCopy(body, async () => (ws = await sinks[i]!.open()), { pool, idleMs: 5000 });
        await finish(ws);
        return r;
      }),
    );
    clearInterval(watch);
    for (const [i, data] of bodies.entries()) {
      assert.equal(results[i]!.received, data.length);
      assert.equal(sha(await readFile(sinks[i]!.path)), sha(data), `body ${i} arrived out of order or incomplete`);
    }
    assert.ok(maxInUse <= 2, `the pool lent ${maxInUse} buffers, more than its 2`);
    assert.equal(pool.inUse, 0);
  });

  it('stops a body silent for the idle timeout, with every byte it sent written and no buffer held while it waits', async () => {
    const pool = new StagingPool(1 * MiB, 4, 4);
    const body = new PassThrough();
    const sent = randomBytes(300 * KiB);
    body.write(sent);
    const sink = fileSink();
    let ws: Writable | undefined;
    const copying = stagedCopy(body, async () => (ws = await sink.open()), { pool, idleMs: 800 });
    await sleep(500);
    assert.equal(pool.inUse, 0, 'a silent upload must give its staging buffer back');
    const r = await Promise.race([copying, sleep(10_000).then(() => 'still running' as const)]);
    assert.notEqual(r, 'still running', 'the copy did not stop after the idle timeout');
    assert.deepEqual(r, { received: sent.length, stalled: true });
    await finish(ws);
    assert.ok((await readFile(sink.path)).equals(sent));
    assert.ok(!body.destroyed, 'the body is left to the caller (the HTTP layer answers, then closes)');
    body.destroy();
  });

  it('opens nothing for an empty body, and fails fast past the limit', async () => {
    const pool = new StagingPool(64 * KiB, 2, 1);
    const empty = fileSink();
    assert.deepEqual(await stagedCopy(Readable.from([]), empty.open, { pool, idleMs: 1000 }), { received: 0, stalled: false });
    assert.equal(empty.opened(), false, 'an empty body must not create its file');
    const big = fileSink();
    let ws: Writable | undefined;
    await assert.rejects(
      stagedCopy(paced(randomBytes(200 * KiB), 16 * KiB, 0), async () => (ws = await big.open()), { pool, limit: 100 * KiB, idleMs: 1000 }),
      (e: unknown) => e instanceof SizeMismatchError && e.expected === 100 * KiB,
    );
    await finish(ws);
    assert.equal(pool.inUse, 0);
  });
});
