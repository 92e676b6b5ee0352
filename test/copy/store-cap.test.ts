/**
 * StoreCap (--max-registry): never more active stores than the cap, no
 * deadlock when tasks need two stores (even with a cap of 1), tasks needing
 * more stores than the cap run alone, and the per-store StoreLimiter nested
 * inside it stays deadlock-free.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreCap, StoreLimiter } from '../../src/copy/limiter.js';
import { prng } from './support/prng.js';

/** Runs `tasks` (store sets) through `cap`, checking the active set at every start. */
async function exercise(cap: StoreCap, tasks: string[][], work: (i: number) => Promise<void>): Promise<{ maxActive: number; overlaps: number }> {
  const active = new Map<string, number>();
  let maxActive = 0;
  let running = 0;
  let overlaps = 0;
  await Promise.all(
    tasks.map((stores, i) =>
      cap.run(stores, async () => {
        running++;
        if (running > 1) overlaps++;
        for (const s of new Set(stores)) active.set(s, (active.get(s) ?? 0) + 1);
        maxActive = Math.max(maxActive, active.size);
        if (active.size > cap.max) assert.equal(running, 1, `over the cap only when alone: ${[...active.keys()]}`);
        try {
          await work(i);
        } finally {
          running--;
          for (const s of new Set(stores)) {
            const n = active.get(s)! - 1;
            if (n === 0) active.delete(s);
            else active.set(s, n);
          }
        }
      }),
    ),
  );
  return { maxActive, overlaps };
}

describe('StoreCap (--max-registry)', () => {
  it('a cap of 1 with source+destination tasks: every task runs, one store set at a time', async () => {
    const cap = new StoreCap(1);
    const tasks = [['a', 'b'], ['c', 'b'], ['a', 'b'], ['a', 'c'], ['d']];
    const r = await exercise(cap, tasks, () => sleep(2));
    assert.equal(r.overlaps, 0, 'two-store tasks ran alone');
    assert.equal(cap.activeStores, 0);
  });

  it('tasks on stores already active join them; new stores wait for room', async () => {
    const cap = new StoreCap(2);
    const order: string[] = [];
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const first = cap.run(['src', 'dst'], async () => {
      order.push('first');
      await gate;
    });
    const same = cap.run(['dst', 'src'], async () => void order.push('same stores'));
    const other = cap.run(['other', 'dst'], async () => void order.push('new store'));
    await sleep(10);
    assert.deepEqual(order, ['first', 'same stores'], 'the new store waits while two are active');
    open();
    await Promise.all([first, same, other]);
    assert.deepEqual(order, ['first', 'same stores', 'new store']);
  });

  it('random store sets under caps 1..4, with per-store limits inside: always completes within the cap', async () => {
    const rnd = prng(7);
    const stores = ['r1', 'r2', 'r3', 'r4', 'r5', 'disk'];
    for (const max of [1, 2, 3, 4]) {
      const cap = new StoreCap(max);
      const limiter = new StoreLimiter(() => 1);
      const tasks = Array.from({ length: 40 }, () => Array.from({ length: 1 + rnd.int(3) }, () => rnd.pick(stores)));
      // Inside each task: operations on one or two of its stores, limited per store (as the engine does).
      const r = await Promise.race([
        exercise(cap, tasks, async (i) => {
          const s = tasks[i]!;
          await Promise.all([limiter.run([s[0]!], () => sleep(rnd.int(3))), limiter.run(s.slice(-2), () => sleep(rnd.int(3)))]);
        }),
        sleep(10_000).then(() => assert.fail(`cap ${max}: deadlock`)),
      ]);
      assert.ok(r.maxActive <= Math.max(max, 3), `cap ${max}: at most ${max} stores (or one task's own)`);
      if (max >= 3) assert.ok(r.overlaps > 0, `cap ${max}: tasks did run concurrently`);
      assert.equal(cap.activeStores, 0);
    }
  });

  it('refuses a cap below 1', () => {
    assert.throws(() => new StoreCap(0), /positive integer/);
  });
});
