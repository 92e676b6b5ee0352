/**
 * The run log role of the MetadataStore conformance suite
 * (`MetadataStore.runLog`, src/metadata/run-log.ts): mirror runs and GC
 * history round trip, newest first, paged; rows beyond the cap dropped; an
 * import applied once per key; calls never caught in an open transaction;
 * and, when the implementation has replicas, one history for both.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RUN_LOG_KEEP, type MirrorRunReport } from '../../src/metadata/run-log.js';
import type { MetadataStore } from '../../src/metadata/store.js';
import type { GcRunSummary } from '../../src/registry/gc-history.js';
import type { MetadataUnderTest } from './conformance.js';

export const mirrorReport = (repositories: string[], bytes = 100): MirrorRunReport => ({
  command: 'image mirror', startedAt: 1_000, finishedAt: 2_000, dryRun: false, repositories, images: 2, bytes,
  blobsTransferred: 3, blobsMounted: 1, blobsPresent: 0, missingCount: 1, missing: ['quay.io/x/y:gone'], failedCount: 1,
  failed: [{ image: 'quay.io/x/z:1', error: 'manifest unknown' }],
});

export const gcSummary = (finishedAt: number, blobs = 1): GcRunSummary => ({
  finishedAt, durationMs: 5, manifests: 2, blobs, uploads: 0, bytes: blobs * 10, strayFiles: 0, missingFiles: 0,
});

export function runLogConformance(under: MetadataUnderTest): void {
  describe('run log', () => {
    let s: MetadataStore;
    let other: MetadataStore;
    before(async () => {
      s = await under.make();
      other = await under.replica(s);
    });
    after(async () => {
      if (other !== s) await other.close();
      await under.cleanup(s);
    });

    it('mirror runs: stored as sent, newest first, paged by id', async () => {
      const a = await s.runLog.addMirrorRun(mirrorReport(['ocp4/release']), 'robot+mirror', 5_000);
      const b = await s.runLog.addMirrorRun(mirrorReport(['ocp4/tools'], 200), 'admin', 6_000);
      assert.ok(b.id > a.id);
      assert.deepEqual(a, { ...mirrorReport(['ocp4/release']), id: a.id, receivedAt: 5_000, sentBy: 'robot+mirror' });
      const all = await s.runLog.mirrorRuns(10);
      assert.deepEqual(all.map((r) => r.id), [b.id, a.id]);
      assert.deepEqual(all[1], a, 'read back field for field');
      assert.deepEqual((await s.runLog.mirrorRuns(1)).map((r) => r.id), [b.id]);
      assert.deepEqual((await s.runLog.mirrorRuns(10, b.id)).map((r) => r.id), [a.id]);
      assert.deepEqual(await s.runLog.mirrorRuns(10, a.id), []);
    });

    it('GC runs: newest first, limited', async () => {
      for (const t of [10, 20, 30]) await s.runLog.addGcRun(gcSummary(t));
      assert.deepEqual((await s.runLog.gcRuns(2)).map((r) => r.finishedAt), [30, 20]);
      assert.deepEqual((await s.runLog.gcRuns(10))[2], gcSummary(10));
    });

    it('an import appends after what is there, once per key; the oldest rows beyond the cap are dropped', async () => {
      const gcRuns = Array.from({ length: RUN_LOG_KEEP + 5 }, (_, i) => gcSummary(100 + i, i));
      const imp = { key: 'runs.db:test-1', mirrorRuns: [{ report: mirrorReport(['old/one']), sentBy: 'alice', receivedAt: 1 }, { report: mirrorReport(['old/two']), sentBy: 'bob', receivedAt: 2 }], gcRuns };
      assert.equal(await s.runLog.importRuns(imp), true);
      assert.equal(await s.runLog.importRuns(imp), false, 'the same key again writes nothing');
      const mirror = await s.runLog.mirrorRuns(100);
      assert.deepEqual(mirror.map((r) => r.repositories[0]), ['old/two', 'old/one', 'ocp4/tools', 'ocp4/release']);
      assert.deepEqual(mirror.slice(0, 2).map((r) => [r.sentBy, r.receivedAt]), [['bob', 2], ['alice', 1]]);
      const gc = await s.runLog.gcRuns(RUN_LOG_KEEP * 2);
      assert.equal(gc.length, RUN_LOG_KEEP, `at most ${RUN_LOG_KEEP} kept`);
      assert.deepEqual(gc[0], gcRuns[gcRuns.length - 1]);
      assert.deepEqual(gc[gc.length - 1], gcRuns[gcRuns.length - RUN_LOG_KEEP]);
    });

    it('is never part of an open transaction: a run recorded while one is rolled back stays', async () => {
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const tx = s.transaction(async (t) => {
        await t.linkBlob('runlog/tx', 'sha256:' + 'a'.repeat(64) as never, 1, 1);
        await held;
      }, { commit: false });
      const added = s.runLog.addMirrorRun(mirrorReport(['during/tx']), 'admin');
      setTimeout(release, 50);
      await tx;
      const run = await added;
      assert.equal((await s.runLog.mirrorRuns(1))[0]?.id, run.id);
      assert.equal(await s.repositoryExists('runlog/tx'), false, 'the transaction itself was rolled back');
    });

    it('replicas share one history: a run posted on one is listed by the other, concurrent ones get distinct ids', async () => {
      const mine = await s.runLog.addMirrorRun(mirrorReport(['r1/app']), 'alice');
      assert.equal((await other.runLog.mirrorRuns(1))[0]?.id, mine.id);
      await other.runLog.addGcRun(gcSummary(9_999_999, 7));
      assert.deepEqual((await s.runLog.gcRuns(1))[0], gcSummary(9_999_999, 7));
      const both = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? s : other).runLog.addMirrorRun(mirrorReport([`c/r${i}`]), 'x')));
      assert.equal(new Set(both.map((r) => r.id)).size, 10);
      const listed = new Set((await s.runLog.mirrorRuns(10)).map((r) => r.id));
      for (const r of both) assert.ok(listed.has(r.id));
    });
  });
}
