import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { EMPTY_DIGEST, EMPTY_JSON, MT, assertStatus, header, type HttpResponse } from './http-client.js';
import { descriptor, json, nextLink, randomDigest, sha256, type Descriptor, type PushedImage } from './registry-ops.js';
import type { SuiteContext } from './suite-context.js';

/** Workflow specs: content discovery (registered by describeDistributionSpec). */
export function discoverySpecs({ spec, http, ops, repo }: SuiteContext): void {
  describe('content discovery', () => {
    spec('discovery.tags-list-sorted', 'tags/list returns the name and all tags in lexical order', async () => {
      const r = repo('discovery/tags-sorted');
      const img = await ops().pushImage(r, []);
      const tags = ['v3', 'latest', 'a1', 'v10', '1.0', 'b2'];
      for (const t of tags) await ops().pushManifest(r, t, img.manifest, img.mediaType);
      const res = await http().request('GET', `/v2/${r}/tags/list`);
      assertStatus(res, 200);
      assert.match(header(res, 'content-type') ?? '', /^application\/json\b/);
      assert.deepEqual(json(res), { name: r, tags: ['1.0', 'a1', 'b2', 'latest', 'v10', 'v3'] });
    });

    spec('discovery.tags-list-paging', 'tags/list?n=2 pages with Link rel="next" until the end', async () => {
      const r = repo('discovery/tags-paging');
      const img = await ops().pushImage(r, []);
      const tags = ['e5', 'c3', 'a1', 'd4', 'b2'];
      for (const t of tags) await ops().pushManifest(r, t, img.manifest, img.mediaType);
      const seen: string[] = [];
      let path: string | undefined = `/v2/${r}/tags/list?n=2`;
      for (let page = 0; path !== undefined; page++) {
        assert.ok(page < 10, 'pagination does not terminate');
        const res = await http().request('GET', path);
        assertStatus(res, 200);
        const body = json<{ name: string; tags: string[] }>(res);
        assert.equal(body.name, r);
        assert.ok(body.tags.length <= 2, `page ${page} has ${body.tags.length} tags for n=2`);
        seen.push(...body.tags);
        const link = nextLink(res);
        if (link !== undefined) {
          const u = new URL(link, http().origin);
          assert.equal(u.pathname, `/v2/${r}/tags/list`, 'Link path');
          assert.equal(u.searchParams.get('n'), '2', 'Link keeps n');
          assert.equal(u.searchParams.get('last'), body.tags.at(-1), 'Link last= is the last tag of the page');
          path = http().resolve(link);
        } else {
          path = undefined;
        }
        if (page === 0) assert.ok(link !== undefined, 'first page of 5 tags with n=2 must carry a Link header');
      }
      assert.deepEqual(seen, ['a1', 'b2', 'c3', 'd4', 'e5']);
    });

    spec('discovery.catalog-paging', '_catalog?n=1 pages with Link rel="next"', async () => {
      const names = ['r1', 'r2', 'r3'].map((s) => repo(`catalog/${s}`));
      for (const n of names) await ops().pushImage(n, ['x']);
      const first = await http().request('GET', '/v2/_catalog?n=1');
      assertStatus(first, 200);
      const firstBody = json<{ repositories: string[] }>(first);
      assert.equal(firstBody.repositories.length, 1, 'n=1 returns one repository');
      const firstLink = nextLink(first);
      assert.ok(firstLink !== undefined, 'a registry with several repositories must send Link for n=1');
      const u = new URL(firstLink, http().origin);
      assert.equal(u.pathname, '/v2/_catalog');
      assert.equal(u.searchParams.get('n'), '1');
      assert.equal(u.searchParams.get('last'), firstBody.repositories[0]);
      // Walk our own repositories, starting just before them.
      const seen: string[] = [];
      let path: string | undefined = `/v2/_catalog?n=1&last=${encodeURIComponent(repo('catalog'))}`;
      for (let page = 0; path !== undefined && page < 10; page++) {
        const res = await http().request('GET', path);
        assertStatus(res, 200);
        const body = json<{ repositories: string[] }>(res);
        assert.ok(body.repositories.length <= 1, `page has ${body.repositories.length} entries for n=1`);
        const name = body.repositories[0];
        if (name === undefined || !name.startsWith(`${repo('catalog')}/`)) break;
        seen.push(name);
        const link = nextLink(res);
        path = link === undefined ? undefined : http().resolve(link);
      }
      assert.deepEqual(seen, names);
    });

    spec('discovery.tags-list-tagless', 'tags/list of a repository with only tagless manifests is an empty list', async () => {
      const r = repo('discovery/tagless');
      await ops().pushImage(r, []);
      const res = await http().request('GET', `/v2/${r}/tags/list`);
      assertStatus(res, 200);
      assert.deepEqual(json(res), { name: r, tags: [] });
    });

    // Referrers API --------------------------------------------------------
    const pushArtifact = async (
      r: string,
      subject: PushedImage,
      artifactType: string | undefined,
      annotations: Record<string, string>,
      config: Descriptor = { mediaType: MT.ociEmpty, digest: EMPTY_DIGEST, size: 2 },
    ): Promise<{ digest: string; bytes: Buffer; res: HttpResponse }> => {
      await ops().pushBlob(r, EMPTY_JSON);
      const m: Record<string, unknown> = { schemaVersion: 2, mediaType: MT.ociManifest };
      if (artifactType !== undefined) m.artifactType = artifactType;
      m.config = config;
      m.layers = [{ mediaType: MT.ociEmpty, digest: EMPTY_DIGEST, size: 2 }];
      m.subject = { mediaType: subject.mediaType, digest: subject.manifestDigest, size: subject.manifest.length };
      m.annotations = annotations;
      const bytes = Buffer.from(JSON.stringify(m));
      const digest = sha256(bytes);
      const res = await ops().putManifest(r, digest, bytes, MT.ociManifest);
      assertStatus(res, 201, 'push artifact');
      return { digest, bytes, res };
    };

    interface Index {
      schemaVersion: number;
      mediaType: string;
      manifests: Descriptor[];
    }

    spec('discovery.referrers', 'artifact with subject: OCI-Subject on PUT, listed by the referrers API', async () => {
      const r = repo('discovery/referrers');
      const subject = await ops().pushImage(r, ['base']);
      const ann = { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z', 'org.example.kind': 'sbom' };
      const art = await pushArtifact(r, subject, 'application/vnd.example.sbom.v1+json', ann);
      assert.equal(header(art.res, 'oci-subject'), subject.manifestDigest, 'OCI-Subject');
      const res = await http().request('GET', `/v2/${r}/referrers/${subject.manifestDigest}`);
      assertStatus(res, 200);
      assert.match(header(res, 'content-type') ?? '', /^application\/vnd\.oci\.image\.index\.v1\+json\b/);
      const idx = json<Index>(res);
      assert.equal(idx.schemaVersion, 2);
      assert.equal(idx.mediaType, MT.ociIndex);
      assert.deepEqual(idx.manifests, [
        {
          mediaType: MT.ociManifest,
          digest: art.digest,
          size: art.bytes.length,
          artifactType: 'application/vnd.example.sbom.v1+json',
          annotations: ann,
        },
      ]);
    });

    spec('discovery.referrers-filter', 'referrers ?artifactType= filters and sets OCI-Filters-Applied', async () => {
      const r = repo('discovery/referrers-filter');
      const subject = await ops().pushImage(r, ['base']);
      const sbom = await pushArtifact(r, subject, 'application/vnd.example.sbom.v1+json', { n: '1' });
      const sig = await pushArtifact(r, subject, 'application/vnd.example.sig.v1+json', { n: '2' });
      const all = await http().request('GET', `/v2/${r}/referrers/${subject.manifestDigest}`);
      assertStatus(all, 200);
      assert.deepEqual(json<Index>(all).manifests.map((d) => d.digest).sort(), [sbom.digest, sig.digest].sort());
      const res = await http().request(
        'GET',
        `/v2/${r}/referrers/${subject.manifestDigest}?artifactType=${encodeURIComponent('application/vnd.example.sig.v1+json')}`,
      );
      assertStatus(res, 200);
      assert.equal(header(res, 'oci-filters-applied'), 'artifactType');
      const idx = json<Index>(res);
      assert.deepEqual(
        idx.manifests.map((d) => [d.digest, d.artifactType]),
        [[sig.digest, 'application/vnd.example.sig.v1+json']],
      );
    });

    spec('discovery.referrers-config-artifact-type', 'referrer without artifactType is listed with the config mediaType', async () => {
      const r = repo('discovery/referrers-config');
      const subject = await ops().pushImage(r, ['base']);
      const cfg = Buffer.from('{"kind":"example"}');
      await ops().pushBlob(r, cfg);
      const art = await pushArtifact(r, subject, undefined, { k: 'v' }, descriptor('application/vnd.example.config.v1+json', cfg));
      const res = await http().request('GET', `/v2/${r}/referrers/${subject.manifestDigest}`);
      assertStatus(res, 200);
      const idx = json<Index>(res);
      assert.deepEqual(
        idx.manifests.map((d) => [d.digest, d.artifactType]),
        [[art.digest, 'application/vnd.example.config.v1+json']],
      );
    });

    spec('discovery.referrers-unknown-subject', 'referrers of an unknown digest is an empty index', async () => {
      const r = repo('discovery/referrers-empty');
      await ops().pushImage(r, ['base']);
      const res = await http().request('GET', `/v2/${r}/referrers/${randomDigest()}`);
      assertStatus(res, 200);
      assert.match(header(res, 'content-type') ?? '', /^application\/vnd\.oci\.image\.index\.v1\+json\b/);
      const idx = json<Index>(res);
      assert.equal(idx.schemaVersion, 2);
      assert.equal(idx.mediaType, MT.ociIndex);
      assert.deepEqual(idx.manifests, []);
    });
  });
}
