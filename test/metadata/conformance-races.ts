/**
 * The races of the MetadataStore conformance suite, each between two
 * replicas (two stores on one database, sharing no memory) when the
 * implementation has them. "Bytes" are a Set standing in for blob storage;
 * commit, mount and the collector's delete follow the registry's protocol
 * (src/storage/blob-store.ts, src/registry/uploads.ts, src/registry/gc.ts):
 * bytes change only under `blobLocks`, rows in the store's transactions.
 * The invariant checked after every round: no blob row or manifest
 * reference points at bytes that are gone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import type { MetadataStore } from '../../src/metadata/store.js';
import type { Digest } from '../../src/oci/digest.js';
import { stepwise, sweepMetadata, type GcOptions } from '../../src/registry/gc-sweep.js';
import { d, manifest, type MetadataUnderTest } from './conformance.js';

const ROUNDS = 12;
const OLD = 100;
const GC: GcOptions = { olderThan: 10_000, uploadsIdleBefore: 0, deleteUntagged: false };

/** The collector's blob phase (gc.ts): under the lock, delete the row if still free, then the bytes. */
async function collectBlob(s: MetadataStore, bytes: Set<string>, digest: Digest): Promise<boolean> {
  return s.blobLocks.run(digest, async () => {
    if (!(await s.gcDeleteBlob(digest, GC.olderThan))) return false;
    await tick();
    bytes.delete(digest);
    return true;
  });
}

/** A commit (blob-store.ts): under the lock, write the bytes when absent, then link. */
async function commitBlob(s: MetadataStore, bytes: Set<string>, repo: string, digest: Digest, now: number): Promise<void> {
  await s.blobLocks.run(digest, async () => {
    if (!bytes.has(digest)) {
      await tick();
      bytes.add(digest);
    }
    await s.linkBlob(repo, digest, 4, now);
  });
}

/** A mount (uploads.ts): under the lock, link only when the row and the bytes are both there. */
async function mountBlob(s: MetadataStore, bytes: Set<string>, repo: string, digest: Digest, now: number): Promise<boolean> {
  return s.blobLocks.run(digest, async () => {
    const size = await s.blobSize(digest);
    await tick();
    if (size === undefined || !bytes.has(digest)) return false;
    await s.linkBlob(repo, digest, size, now);
    return true;
  });
}

async function assertNoDangling(s: MetadataStore, bytes: Set<string>, digests: Digest[]): Promise<void> {
  for (const x of digests) {
    if ((await s.blobSize(x)) !== undefined) assert.ok(bytes.has(x), `blob row ${x} points at deleted bytes`);
    if ((await s.blobReferenceCount(x)) > 0) assert.ok(bytes.has(x), `a manifest references ${x}, whose bytes are gone`);
  }
}

export function raceConformance(under: MetadataUnderTest): void {
  describe('races between replicas', () => {
    let a: MetadataStore;
    let b: MetadataStore;
    before(async () => {
      a = await under.make();
      b = await under.replica(a);
    });
    after(async () => {
      if (b !== a) await b.close();
      await under.cleanup(a);
    });

    it('commit against GC: a blob the collector marks is either kept or re-written, never lost', async () => {
      const bytes = new Set<string>();
      const all: Digest[] = [];
      let kept = 0;
      for (let i = 0; i < ROUNDS; i++) {
        const x = d(`cg${i}`);
        all.push(x);
        await commitBlob(a, bytes, 'cg/old', x, OLD);
        await a.transaction((tx) => tx.gcDropStaleLinks(GC.olderThan)); // now unreferenced and old: a candidate
        const [deleted] = await Promise.all([collectBlob(a, bytes, x), commitBlob(b, bytes, 'cg/new', x, 50_000)]);
        if (!deleted) kept++;
        assert.equal(await a.repoBlobSize('cg/new', x), 4, 'the commit is linked');
        assert.ok(bytes.has(x), 'the committed blob has its bytes');
      }
      await assertNoDangling(a, bytes, all);
      assert.ok(kept <= ROUNDS);
    });

    it('manifest push against the sweep: a push that got ok keeps every blob it references', async () => {
      const bytes = new Set<string>();
      const all: Digest[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const x = d(`mp${i}`);
        all.push(x);
        await commitBlob(a, bytes, 'mp/app', x, OLD); // uploaded long ago, no manifest yet: the sweep may drop the link
        const push = manifest('mp/app', `{"mp":${i}}`, { blobRefs: [{ digest: x, size: 4 }], tags: [`t${i}`], now: 50_000 });
        const [res] = await Promise.all([
          b.putManifest(push),
          (async () => {
            const swept = await sweepMetadata(stepwise(a), GC);
            for (const c of swept.blobs) await collectBlob(a, bytes, c.digest);
          })(),
        ]);
        if (res.ok) {
          assert.equal(await a.repoBlobSize('mp/app', x), 4, `push ${i} got ok: its blob stays linked`);
          assert.ok(bytes.has(x), `push ${i} got ok: its blob's bytes stay`);
        } else {
          assert.deepEqual(res.missingBlobs, [x], 'a refused push names the collected blob');
        }
      }
      await assertNoDangling(a, bytes, all);
    });

    it('mount against delete: a mount succeeds only onto bytes that stay', async () => {
      const bytes = new Set<string>();
      const all: Digest[] = [];
      let mounted = 0;
      for (let i = 0; i < ROUNDS; i++) {
        const x = d(`md${i}`);
        all.push(x);
        await commitBlob(a, bytes, 'md/src', x, OLD);
        await a.transaction((tx) => tx.gcDropStaleLinks(GC.olderThan));
        const [, ok] = await Promise.all([collectBlob(a, bytes, x), mountBlob(b, bytes, 'md/dst', x, 50_000)]);
        if (ok) {
          mounted++;
          assert.ok(bytes.has(x) && (await a.repoBlobSize('md/dst', x)) === 4, `mount ${i}: linked onto bytes that stay`);
        } else {
          assert.equal(await a.repoBlobSize('md/dst', x), undefined);
        }
      }
      await assertNoDangling(a, bytes, all);
      assert.ok(mounted <= ROUNDS);
    });

    it('tag races: concurrent pushes of one tag leave one winner, every loser orphaned exactly once', async () => {
      const repo = 'tr/app';
      const pushes = Array.from({ length: 16 }, (_, i) => manifest(repo, `{"tr":${i}}`, { tags: ['latest'], now: 1_000 + i }));
      const results = await Promise.all(pushes.map((p, i) => (i % 2 ? a : b).putManifest(p)));
      assert.ok(results.every((r) => r.ok));
      const winner = await a.getManifestByTag(repo, 'latest');
      assert.ok(winner && pushes.some((p) => p.digest === winner.digest));
      assert.deepEqual(await a.listTags(repo, { n: 10 }), ['latest']);
      const orphans = (await a.gcOrphanedManifests(100_000)).filter((m) => m.repo === repo).map((m) => m.digest);
      assert.deepEqual(orphans.sort(), pushes.map((p) => p.digest).filter((x) => x !== winner.digest).sort());
    });

    it('tag races: delete against re-tag ends either tagged or orphaned, never both or neither', async () => {
      const repo = 'tr/del';
      const m = manifest(repo, '{"del":1}', { tags: ['x'] });
      await a.putManifest(m);
      for (let i = 0; i < ROUNDS; i++) {
        await Promise.all([a.deleteTag(repo, 'x', 2_000 + i), b.putManifest({ ...m, now: 2_000 + i })]);
        const tagged = (await a.getManifestByTag(repo, 'x')) !== undefined;
        const orphaned = (await a.gcOrphanedManifests(100_000)).some((o) => o.repo === repo && o.digest === m.digest);
        assert.notEqual(tagged, orphaned, `round ${i}: tagged=${tagged} orphaned=${orphaned}`);
        if (!tagged) await a.putManifest(m);
      }
    });

    it('blobLocks, uploadLocks and tryExclusive exclude each other across replicas, per key', async () => {
      for (const kind of ['blobLocks', 'uploadLocks'] as const) {
        let inside = 0;
        let peak = 0;
        const order: string[] = [];
        const hold = (s: MetadataStore, key: string, tag: string) => s[kind].run(key, async () => {
          inside++;
          peak = Math.max(peak, inside);
          order.push(tag);
          await tick();
          await tick();
          inside--;
        });
        await Promise.all(Array.from({ length: 8 }, (_, i) => hold(i % 2 ? a : b, 'same', `${kind}${i}`)));
        assert.equal(peak, 1, `${kind}: one holder of a key at a time`);
        assert.equal(order.length, 8);
        // Different keys do not wait for each other.
        let release!: () => void;
        const held = a[kind].run('k1', () => new Promise<void>((r) => (release = r)));
        await b[kind].run('k2', async () => undefined);
        release();
        await held;
      }
      let release!: () => void;
      const leader = a.tryExclusive('gc-test', () => new Promise<string>((r) => (release = () => r('ran'))));
      await tick();
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(await b.tryExclusive('gc-test', async () => 'second'), undefined, 'a second holder is refused while the first runs');
      release();
      assert.equal(await leader, 'ran');
      assert.equal(await b.tryExclusive('gc-test', async () => 'second'), 'second', 'free again afterwards');
    });

    it('upload quota holds across replicas: concurrent starts never overshoot', async () => {
      const q = { perOwner: 5, perAddress: 100, activeSince: 0 };
      const starts = Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).createUpload({ id: `q${i}`, repo: 'uq/a', now: 1_000, owner: 'dave' }, q));
      const ok = (await Promise.all(starts)).filter((r) => r.ok).length;
      assert.equal(ok, 5);
    });
  });
}
