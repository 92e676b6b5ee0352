/**
 * The MetadataStore conformance suite: every implementation (SQLite,
 * PostgreSQL) runs it against a real database. Contracts are the ones stated
 * in src/metadata/store.ts; the races are in conformance-races.ts, the run
 * log role in conformance-run-log.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MetadataStore, NewManifest } from '../../src/metadata/store.js';
import { digestOf, type Digest } from '../../src/oci/digest.js';
import { inTransaction, stepwise, sweepMetadata } from '../../src/registry/gc-sweep.js';
import { raceConformance } from './conformance-races.js';
import { runLogConformance } from './conformance-run-log.js';

export interface MetadataUnderTest {
  /** A store on a fresh, empty database. */
  make(): Promise<MetadataStore>;
  /**
   * Another store on the same database sharing no memory with `s` (another
   * replica); an implementation for one process only returns `s` itself.
   */
  replica(s: MetadataStore): Promise<MetadataStore>;
  cleanup(s: MetadataStore): Promise<void>;
}

export const d = (s: string): Digest => digestOf(s);

/** A manifest of `repo` whose bytes are `body`, referencing `blobs` (6-byte digests of their names). */
export function manifest(repo: string, body: string, opts: Partial<NewManifest> = {}): NewManifest {
  const content = Buffer.from(body);
  return {
    repo, digest: digestOf(content), mediaType: 'application/vnd.oci.image.manifest.v1+json', content,
    blobRefs: [], manifestRefs: [], allowAbsent: false, tags: [], now: 1_000, ...opts,
  };
}

export function metadataConformance(name: string, under: MetadataUnderTest): void {
  describe(`MetadataStore conformance: ${name}`, () => {
    let s: MetadataStore;
    before(async () => (s = await under.make()));
    after(async () => under.cleanup(s));

    it('repositories: created by a link, listed and paged in byte order, counted, ranged', async () => {
      const names = ['b/x', 'a', 'B', 'a/b', 'a-b', 'z9', 'a/b/c'];
      for (const n of names) await s.linkBlob(n, d('r'), 1, 1);
      const sorted = [...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      assert.deepEqual(await s.listRepositories({ n: 100 }), sorted);
      assert.deepEqual(await s.listRepositories({ n: 2, last: 'a' }), ['a-b', 'a/b']);
      assert.equal(await s.repositoryCount(), names.length);
      assert.deepEqual(await s.repositoriesBetween('a/', 'a0', 10), ['a/b', 'a/b/c']);
      assert.equal(await s.repositoryExists('a/b'), true);
      assert.equal(await s.repositoryExists('nope'), false);
    });

    it('pages 250 repositories without a gap or a repeat', async () => {
      for (let i = 0; i < 250; i++) await s.linkBlob(`page/r${String(i).padStart(3, '0')}`, d('p'), 1, 1);
      const seen: string[] = [];
      for (let last: string | undefined; ;) {
        const page = await s.repositoriesBetween(last ?? 'page/', 'page0', 100);
        if (page.length === 0) break;
        seen.push(...page);
        last = page[page.length - 1];
      }
      assert.equal(seen.length, 250);
      assert.equal(new Set(seen).size, 250);
      assert.deepEqual(seen, [...seen].sort());
    });

    it('blob links: link, size, renew, holders, unlink, stats', async () => {
      await s.linkBlob('bl/a', d('b1'), 10, 100);
      await s.linkBlob('bl/b', d('b1'), 10, 100);
      await s.linkBlob('bl/a', d('b2'), 20, 100);
      assert.equal(await s.repoBlobSize('bl/a', d('b1')), 10);
      assert.equal(await s.repoBlobSize('bl/c', d('b1')), undefined);
      assert.equal(await s.blobSize(d('b2')), 20);
      assert.equal(await s.blobSize(d('none')), undefined);
      assert.deepEqual(await s.blobRepositories(d('b1'), { n: 10 }), ['bl/a', 'bl/b']);
      assert.deepEqual(await s.blobRepositories(d('b1'), { n: 10, last: 'bl/a' }), ['bl/b']);
      // A renewed link is young again: the collector keeps it past the old grace.
      assert.equal(await s.repoBlobSize('bl/b', d('b1'), { now: 9_000, olderThan: 500 }), 10);
      await s.transaction((tx) => tx.gcDropStaleLinks(1_000));
      assert.deepEqual(await s.blobRepositories(d('b1'), { n: 10 }), ['bl/b']);
      assert.equal(await s.unlinkBlob('bl/b', d('b1')), true);
      assert.equal(await s.unlinkBlob('bl/b', d('b1')), false);
      assert.equal(await s.unlinkBlob('bl/none', d('b1')), false);
      const usage = await s.repositoryUsage('bl/a');
      assert.deepEqual(usage, { blobs: 0, blobBytes: 0, manifests: 0, manifestBytes: 0 });
      assert.equal(await s.repositoryUsage('bl/none'), undefined);
      const stats = await s.blobStats();
      assert.ok(stats.count >= 2 && stats.bytes >= 30);
    });

    it('manifests: reference checks, bytes read back, tags paged, info, usage', async () => {
      const repo = 'mf/app';
      const m1 = manifest(repo, '{"m":1}', { blobRefs: [{ digest: d('l1'), size: 5 }], tags: ['v1'] });
      const missing = await s.putManifest(m1);
      assert.deepEqual(missing, { ok: false, missingBlobs: [d('l1')], missingManifests: [], wrongSizes: [] });
      assert.equal(await s.repositoryExists(repo), false, 'a refused manifest leaves nothing');
      await s.linkBlob(repo, d('l1'), 6, 1_000);
      const wrong = await s.putManifest(m1);
      assert.deepEqual(wrong, { ok: false, missingBlobs: [], missingManifests: [], wrongSizes: [{ digest: d('l1'), declared: 5, stored: 6 }] });
      const ok = manifest(repo, '{"m":1}', { blobRefs: [{ digest: d('l1'), size: 6 }], tags: ['v1', 'latest'], annotations: { a: 'b' } });
      assert.deepEqual(await s.putManifest(ok), { ok: true });
      assert.deepEqual(await s.putManifest(ok), { ok: true }, 'idempotent');
      const byTag = await s.getManifestByTag(repo, 'latest');
      assert.ok(byTag && byTag.content.equals(ok.content) && byTag.digest === ok.digest && byTag.size === ok.content.length);
      assert.ok((await s.getManifestByDigest(repo, ok.digest))?.content.equals(ok.content));
      assert.equal(await s.getManifestByDigest('mf/other', ok.digest), undefined);
      for (let i = 0; i < 30; i++) {
        assert.deepEqual(await s.putManifest(manifest(repo, `{"t":${i}}`, { tags: [`t${String(i).padStart(2, '0')}`], now: 2_000 + i })), { ok: true });
      }
      const tags: string[] = [];
      for (let last: string | undefined; ;) {
        const page = await s.listTags(repo, { n: 7, ...(last ? { last } : {}) });
        if (!page || page.length === 0) break;
        tags.push(...page);
        last = page[page.length - 1];
      }
      assert.equal(tags.length, 32);
      assert.deepEqual(tags, [...tags].sort());
      assert.equal(await s.listTags('mf/none', { n: 5 }), undefined);
      const details = await s.listTagDetails(repo, { n: 2 });
      assert.deepEqual(details?.map((t) => [t.tag, t.digest, t.taggedAt]), [['latest', ok.digest, 1_000], ['t00', manifest(repo, '{"t":0}').digest, 2_000]]);
      const info = await s.manifestInfo(repo, ok.digest);
      assert.deepEqual(info, { digest: ok.digest, mediaType: ok.mediaType, size: ok.content.length, annotations: { a: 'b' }, pushedAt: 1_000, tags: ['latest', 'v1'] });
      const usage = await s.repositoryUsage(repo);
      assert.equal(usage?.blobs, 1);
      assert.equal(usage?.manifests, 31);
      assert.ok((await s.linkedBlobBytes()) >= 6);
    });

    it('manifests: an index holds its children; deleting tags and manifests orphans, the sweep collects', async () => {
      const repo = 'mf/index';
      const c1 = manifest(repo, '{"c":1}');
      const c2 = manifest(repo, '{"c":2}');
      const idx = (tags: string[]) => manifest(repo, '{"i":1}', {
        mediaType: 'application/vnd.oci.image.index.v1+json', tags,
        manifestRefs: [{ digest: c1.digest, size: c1.content.length }, { digest: c2.digest, size: c2.content.length }],
      });
      const refused = await s.putManifest(idx(['x']));
      assert.equal(refused.ok, false);
      assert.deepEqual(!refused.ok && refused.missingManifests.sort(), [c1.digest, c2.digest].sort());
      await s.putManifest(c1);
      await s.putManifest(c2);
      assert.deepEqual(await s.putManifest(idx(['x'])), { ok: true });
      assert.equal(await s.deleteTag(repo, 'x', 2_000), true);
      assert.equal(await s.deleteTag(repo, 'x', 2_000), false);
      // Dry run: the whole tree would go, and nothing changes.
      const opts = { olderThan: 5_000, uploadsIdleBefore: 0, deleteUntagged: false };
      const plan = await s.transaction((tx) => sweepMetadata(inTransaction(tx), opts), { commit: false });
      assert.deepEqual(plan.manifests.filter((m) => m.repo === repo).map((m) => m.digest).sort(), [idx([]).digest, c1.digest, c2.digest].sort());
      assert.ok(await s.getManifestByDigest(repo, c1.digest), 'the dry run changed nothing');
      // Too young: nothing goes.
      const young = await sweepMetadata(stepwise(s), { ...opts, olderThan: 1_500 });
      assert.equal(young.manifests.filter((m) => m.repo === repo).length, 0);
      const run = await sweepMetadata(stepwise(s), opts);
      assert.equal(run.manifests.filter((m) => m.repo === repo).length, 3);
      assert.equal(await s.getManifestByDigest(repo, c1.digest), undefined);
      // deleteManifest removes its tags.
      const lone = manifest(repo, '{"lone":1}', { tags: ['lone'] });
      await s.putManifest(lone);
      assert.equal(await s.deleteManifest(repo, lone.digest, 3_000), true);
      assert.equal(await s.getManifestByTag(repo, 'lone'), undefined);
      assert.equal(await s.deleteManifest(repo, lone.digest, 3_000), false);
    });

    it('referrers: by subject, filtered by artifact type, in digest order', async () => {
      const repo = 'rf/app';
      const subject = manifest(repo, '{"s":1}', { tags: ['s'] });
      await s.putManifest(subject);
      const sig = manifest(repo, '{"sig":1}', { subject: subject.digest, artifactType: 'application/sig' });
      const sbom = manifest(repo, '{"sbom":1}', { subject: subject.digest, artifactType: 'application/sbom', annotations: { k: 'v' } });
      await s.putManifest(sig);
      await s.putManifest(sbom);
      const all = await s.referrers(repo, subject.digest);
      assert.deepEqual(all.map((r) => r.digest), [sig.digest, sbom.digest].sort());
      const only = await s.referrers(repo, subject.digest, 'application/sbom');
      assert.deepEqual(only, [{ mediaType: sbom.mediaType, digest: sbom.digest, size: sbom.content.length, artifactType: 'application/sbom', annotations: { k: 'v' } }]);
      assert.deepEqual(await s.referrers('rf/other', subject.digest), []);
    });

    it('uploads: create, read, touch, quota, delete, stale sessions', async () => {
      const q = { perOwner: 2, perAddress: 3, activeSince: 500 };
      assert.deepEqual(await s.createUpload({ id: 'u1', repo: 'up/a', now: 1_000, owner: 'alice', address: '10.0.0.1' }, q), { ok: true });
      assert.deepEqual(await s.createUpload({ id: 'u2', repo: 'up/a', now: 1_000, owner: 'alice', address: '10.0.0.1' }, q), { ok: true });
      assert.deepEqual(await s.createUpload({ id: 'u3', repo: 'up/a', now: 1_000, owner: 'alice', address: '10.0.0.1' }, q), { ok: false, limit: 'owner', open: 2 });
      assert.deepEqual(await s.createUpload({ id: 'u3', repo: 'up/a', now: 1_000, owner: 'bob', address: '10.0.0.1' }, q), { ok: true });
      assert.deepEqual(await s.createUpload({ id: 'u4', repo: 'up/a', now: 1_000, owner: 'carol', address: '10.0.0.1' }, q), { ok: false, limit: 'address', open: 3 });
      assert.deepEqual(await s.getUpload('u1'), { id: 'u1', repo: 'up/a', createdAt: 1_000, updatedAt: 1_000, owner: 'alice', address: '10.0.0.1' });
      await s.createUpload({ id: 'u5', repo: 'up/b', now: 1_000 });
      assert.deepEqual(await s.getUpload('u5'), { id: 'u5', repo: 'up/b', createdAt: 1_000, updatedAt: 1_000 });
      await s.touchUpload('u1', 4_000);
      assert.equal((await s.getUpload('u1'))?.updatedAt, 4_000);
      assert.deepEqual((await s.transaction((tx) => tx.gcStaleUploads(2_000))).map((u) => u.id), ['u2', 'u3', 'u5']);
      await s.deleteUpload('u2');
      assert.equal(await s.getUpload('u2'), undefined);
      assert.equal(await s.getUpload('nope'), undefined);
    });

    it('transaction(): sees its own writes, commits, rolls back on throw and with commit:false', async () => {
      const inside = await s.transaction(async (tx) => {
        await tx.linkBlob('tx/a', d('t1'), 1, 1);
        return tx.repoBlobSize('tx/a', d('t1'));
      }, { commit: false });
      assert.equal(inside, 1);
      assert.equal(await s.repositoryExists('tx/a'), false, 'commit:false leaves nothing');
      await assert.rejects(s.transaction(async (tx) => {
        await tx.linkBlob('tx/b', d('t1'), 1, 1);
        throw new Error('boom');
      }), /boom/);
      assert.equal(await s.repositoryExists('tx/b'), false, 'a throwing body leaves nothing');
      await s.transaction((tx) => tx.linkBlob('tx/c', d('t1'), 1, 1));
      assert.equal(await s.repoBlobSize('tx/c', d('t1')), 1);
    });

    it('gc queries: stale links dropped, free blobs listed and deleted only while still free', async () => {
      await s.linkBlob('gcq/a', d('g1'), 7, 100);
      await s.linkBlob('gcq/a', d('g2'), 8, 100);
      await s.putManifest(manifest('gcq/a', '{"g":1}', { blobRefs: [{ digest: d('g2'), size: 8 }], tags: ['t'] }));
      await s.transaction((tx) => tx.gcDropStaleLinks(1_000));
      const cands = (await s.gcBlobCandidates(1_000)).map((c) => c.digest);
      assert.ok(cands.includes(d('g1')));
      assert.ok(!cands.includes(d('g2')), 'a referenced blob is never a candidate');
      await s.linkBlob('gcq/b', d('g1'), 7, 100);
      assert.equal(await s.gcDeleteBlob(d('g1'), 1_000), false, 're-linked meanwhile: kept');
      await s.transaction((tx) => tx.gcDropStaleLinks(1_000));
      assert.equal(await s.gcDeleteBlob(d('g1'), 1_000), true);
      assert.equal(await s.blobSize(d('g1')), undefined);
      assert.equal(await s.blobReferenceCount(d('g2')), 1);
    });

    it('gc queries: a candidate re-tagged after its listing is no longer collectable, and the sweep keeps it', async () => {
      const repo = 'gcre/app';
      const m = manifest(repo, '{"re":1}', { tags: ['t'], now: 100 });
      await s.putManifest(m);
      assert.equal(await s.deleteTag(repo, 't', 200), true);
      const [c] = (await s.gcOrphanedManifests(1_000)).filter((x) => x.repo === repo);
      assert.deepEqual(c, { repo, digest: m.digest, size: m.content.length, orphanedAt: 200 });
      assert.equal(await s.gcManifestCollectable(c!, 1_000), true);
      assert.equal(await s.gcManifestCollectable(c!, 150), false, 'orphaned too recently');
      await s.putManifest({ ...m, tags: ['t2'], now: 300 });
      assert.equal(await s.gcManifestCollectable(c!, 1_000), false, 're-tagged');
      const u = manifest(repo, '{"untagged":1}', { now: 100 });
      await s.putManifest(u);
      const uc = { repo, digest: u.digest, size: u.content.length };
      assert.equal(await s.gcManifestCollectable(uc, 1_000), true);
      assert.equal(await s.gcManifestCollectable(uc, 50), false, 'created too recently');
      await s.putManifest({ ...u, tags: ['u'], now: 300 });
      assert.equal(await s.gcManifestCollectable(uc, 1_000), false, 'tagged');
      // A stale listing: the manifest is re-tagged between the listing and its step.
      assert.equal(await s.deleteTag(repo, 't2', 400), true);
      let retagged = false;
      const swept = await sweepMetadata({
        read: s,
        step: async (body) => {
          if (!retagged) {
            retagged = true;
            await s.putManifest({ ...m, tags: ['back'], now: 500 });
          }
          return s.transaction(body);
        },
      }, { olderThan: 1_000, uploadsIdleBefore: 0, deleteUntagged: false });
      assert.ok(retagged);
      assert.ok(!swept.manifests.some((x) => x.digest === m.digest), 'the stale candidate is not reported collected');
      assert.equal((await s.getManifestByTag(repo, 'back'))?.digest, m.digest, 'and it stays, tagged');
    });

    it('reconcile queries: prefix listing, relink from references, drop', async () => {
      await s.linkBlob('rc/a', d('rc1'), 3, 100);
      await s.putManifest(manifest('rc/a', '{"rc":1}', { blobRefs: [{ digest: d('rc1'), size: 3 }], tags: ['t'] }));
      const prefix = d('rc1').slice(0, 'sha256:'.length + 2);
      assert.ok((await s.blobsWithPrefix(prefix)).some((b) => b.digest === d('rc1')));
      assert.ok((await s.blobsWithPrefix(prefix)).every((b) => b.digest.startsWith(prefix)));
      assert.equal(await s.dropBlobRow(d('rc1')), true);
      assert.equal(await s.repoBlobSize('rc/a', d('rc1')), undefined);
      assert.equal(await s.relinkBlob(d('rc1'), 3, 200), 1);
      assert.equal(await s.repoBlobSize('rc/a', d('rc1')), 3);
      assert.equal(await s.relinkBlob(d('unreferenced'), 3, 200), 0);
      assert.equal(await s.blobSize(d('unreferenced')), undefined);
    });

    raceConformance(under);
    runLogConformance(under);
  });
}
