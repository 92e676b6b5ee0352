/**
 * `airlock verify --config isc.yaml`: the image-set collector plans the
 * config dry (nothing copied, no catalog rebuilt) and every planned source
 * reference is verified against the cluster resources airlock mirror wrote.
 * Loopback: the image-set fixture (a release by channel, a filtered
 * catalog, additional images, a blocked one) mirrored to mirror with
 * --workspace; a complete mirror passes; an additional image added to the
 * config afterwards is served only by its source (exit 1); a bad config is
 * one line.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { startGraphServer, type GraphServer } from '../helpers/graph-server.js';
import { buildImageSet, pushImageSet } from '../fixtures/catalog/related-images.js';
import { airlock } from '../release/support.js';
import { imageSetSide, type ImageSetSide } from './support/imageset-fixture.js';

interface Doc { ok: boolean; counts: { mirror: number; sourceOnly: number; missing: number }; warnings: string[]; images: { reference: string; origin: string; verdict: string; trying: string[] }[] }

describe('airlock verify --config', () => {
  let work: string;
  let up: AirlockHandle;
  let mirror: AirlockHandle;
  let graph: GraphServer;
  let side: ImageSetSide;
  let resources: string;
  const vflags = (): string[] => ['--insecure', '--retry-times', '0', '--graph-url', graph.url];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-verify-isc-'));
    [up, mirror] = await Promise.all([startAirlock(), startAirlock()]);
    graph = await startGraphServer();
    side = await imageSetSide(up, graph, work);
    const ws = join(work, 'ws');
    const r = await airlock(['mirror', '-c', side.isc, '--workspace', `file://${ws}`, `docker://${mirror.hostPort}/ocp`, '--graph-url', graph.url, '--src-tls-verify=false', '--dest-tls-verify=false', '--no-progress'], work);
    assert.equal(r.code, 0, r.stderr);
    resources = join(ws, 'working-dir', 'cluster-resources');
  });
  after(async () => {
    await Promise.all([up?.close(), mirror?.close(), graph?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('a complete mirror passes: every planned source image is served by the mirror', async () => {
    const r = await airlock(['verify', '-r', resources, '-c', side.isc, '-o', 'json', ...vflags()], work);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const doc = JSON.parse(r.stdout) as Doc;
    assert.equal(doc.ok, true);
    const refs = doc.images.map((i) => i.reference);
    const rel = side.releases[0]!;
    assert.ok(refs.includes(`${up.hostPort}/${rel.releaseRepo}@${rel.digest}`), 'the release image');
    for (const c of rel.components) assert.ok(refs.some((x) => x.endsWith(`@${c.digest}`)), `component ${c.name}`);
    assert.ok(refs.includes(`${up.hostPort}/extra/tools/app:v1`), 'the additional image, by tag');
    assert.ok(!refs.some((x) => x.includes('/extra/tools/debug')), 'the blocked image is not planned');
    assert.ok(!refs.some((x) => x.includes('/olm/fbc-index')), 'the index is left to the CatalogSource');
    assert.ok(doc.images.some((i) => /: operator etcd/.test(i.origin)), 'related images of the filtered catalog');
    assert.equal(doc.counts.mirror, doc.images.length);
    assert.ok(doc.images.every((i) => i.verdict === 'mirror' && i.trying.length > 0));
    assert.ok(doc.warnings.some((w) => w.includes('olm/fbc-index:v1: its index is pulled by the CatalogSource')));
    // the same planning as airlock mirror --dry-run, nothing copied: the mapping's sources are the verified ones
    const dry = join(work, 'dry');
    const d = await airlock(['mirror', '-c', side.isc, '--workspace', `file://${dry}`, `docker://${mirror.hostPort}/ocp`, '--dry-run', '--graph-url', graph.url, '--src-tls-verify=false', '--dest-tls-verify=false', '--no-progress'], work);
    assert.equal(d.code, 0, d.stderr);
    const sources = (await readFile(join(dry, 'working-dir/dry-run/mapping.txt'), 'utf8')).trim().split('\n').map((l) => l.split('=')[0]!.replace(/^docker:\/\//, '')).filter((s) => !s.includes('/olm/fbc-index'));
    assert.equal(new Set(refs).size, refs.length);
    assert.equal(refs.length, new Set(sources.map((s) => s.replace(/:[^/@]+@/, '@'))).size);
  });

  it('an image added to the config after the mirror run is served only by its source: exit 1', async () => {
    const hub = new RegistryHub({ insecure: () => true });
    try {
      await pushImageSet(hub.destination({ registry: up.hostPort, repository: 'late/tool' }), await buildImageSet('late tool', false), 'v1');
    } finally {
      await hub.close();
    }
    const isc2 = join(work, 'isc-late.yaml');
    await writeFile(isc2, (await readFile(side.isc, 'utf8')).replace('  additionalImages:\n', `  additionalImages:\n  - name: ${up.hostPort}/late/tool:v1\n`));
    const r = await airlock(['verify', '-r', resources, '-c', isc2, '-o', 'json', ...vflags()], work);
    assert.equal(r.code, 1, r.stderr);
    const doc = JSON.parse(r.stdout) as Doc;
    assert.equal(doc.ok, false);
    const late = doc.images.find((i) => i.reference === `${up.hostPort}/late/tool:v1`);
    assert.equal(late?.verdict, 'source-only', JSON.stringify(late));
    assert.equal(doc.counts.sourceOnly, 1);
    assert.equal(doc.counts.mirror, doc.images.length - 1);
  });

  it('a bad config is one line', async () => {
    const bad = join(work, 'bad.yaml');
    await writeFile(bad, 'kind: ImageSetConfiguration\napiVersion: mirror.openshift.io/v2alpha1\nmirror:\n  additionalImages: 7\n');
    const r = await airlock(['verify', '-r', resources, '-c', bad, ...vflags()], work);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: --config .*bad\.yaml.*additionalImages/m);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});
