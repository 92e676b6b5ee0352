/**
 * Helm charts end to end on loopback: a Helm repository (node HTTP server,
 * index.yaml + .tgz built here) with three realistic charts, images in an
 * airlock registry; `airlock helm mirror` and `airlock mirror -c` (m2m)
 * push the images found (checked against a hand-written list) and the
 * charts as OCI Helm charts (manifest, config and layer read back); the
 * templates the renderer cannot handle are named; `charts` omitted takes
 * every non-library version and says how many.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readChartArchive } from '../../src/helm/chart/archive.js';
import { loadChart } from '../../src/helm/chart/load.js';
import { renderChart } from '../../src/helm/chart/render.js';
import { chartImages } from '../../src/helm/chart-images.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { buildImageSet, pushImageSet } from '../fixtures/catalog/related-images.js';
import { brokenFiles, indexYaml, libraryFiles, metricsFiles, operatorFiles, tgz, webappFiles, type Files } from '../fixtures/helm/charts.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { startHelmRepo, type HelmRepoServer } from '../helpers/helm-repo-server.js';
import { airlock, resolveTags } from '../release/support.js';

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('helm charts: loopback repository, images found by rendering, OCI charts in the mirror', () => {
  let work: string;
  let up: AirlockHandle;
  let mirror: AirlockHandle;
  let repo: HelmRepoServer;
  let U: string;
  const digests = new Map<string, string>();
  const archives = new Map<string, Buffer>();
  let operatorDir: string;
  const tls = ['--src-tls-verify=false', '--dest-tls-verify=false', '--no-progress'];

  /** The images each chart names with its default values, by hand. */
  const expected = (chart: string): string[] => {
    const web = (app: string): string[] => [`${U}/apps/webapp:${app}`, `${U}/data/redis:7.2`, `${U}/jobs/cleanup:0.9`, `${U}/tools/init:${app}`, `${U}/tools/logger:1.0`, `${U}/tools/proxy:2.0`];
    if (chart === 'webapp-1.1.0') return web('2.1.0');
    if (chart === 'webapp-1.0.0') return web('2.0.0');
    if (chart === 'operator-lite-0.3.0') return [`${U}/operator/agent:3.1`, `${U}/operator/kube-rbac-proxy:v0.15`, `${U}/operator/manager@${digests.get('operator/manager')}`];
    if (chart === 'broken-0.1.0') return [`${U}/tools/logger:1.0`];
    throw new Error(chart);
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-helm-'));
    [up, mirror] = await Promise.all([startAirlock(), startAirlock()]);
    repo = await startHelmRepo();
    U = up.hostPort;
    const hub = new RegistryHub({ insecure: () => true });
    try {
      for (const ref of ['apps/webapp:2.1.0', 'apps/webapp:2.0.0', 'tools/init:2.1.0', 'tools/init:2.0.0', 'tools/proxy:2.0', 'tools/logger:1.0', 'jobs/cleanup:0.9', 'data/redis:7.2', 'operator/manager:any', 'operator/kube-rbac-proxy:v0.15', 'operator/agent:3.1']) {
        const [repository, tag] = ref.split(':') as [string, string];
        const set = await buildImageSet(ref, ref === 'data/redis:7.2');
        await pushImageSet(hub.destination({ registry: U, repository }), set, tag);
        digests.set(ref, set.top.digest);
        if (repository === 'operator/manager') digests.set(repository, set.top.digest);
      }
    } finally {
      await hub.close();
    }
    const metrics = await tgz('metrics', metricsFiles(U));
    const charts: Array<{ name: string; version: string; files: Files; type?: string }> = [
      { name: 'webapp', version: '1.0.0', files: webappFiles(U, '1.0.0', '2.0.0', metrics) },
      { name: 'webapp', version: '1.1.0', files: webappFiles(U, '1.1.0', '2.1.0', metrics) },
      { name: 'operator-lite', version: '0.3.0', files: operatorFiles(U, digests.get('operator/manager')!) },
      { name: 'broken', version: '0.1.0', files: brokenFiles(U) },
      { name: 'libchart', version: '1.0.0', files: libraryFiles(), type: 'library' },
    ];
    const entries = [];
    for (const c of charts) {
      const data = await tgz(c.name, c.files);
      const file = `${c.name}-${c.version}.tgz`;
      archives.set(`${c.name}-${c.version}`, data);
      repo.set(file, data);
      entries.push({ name: c.name, version: c.version, file, data, ...(c.type ? { type: c.type } : {}) });
    }
    repo.set('index.yaml', indexYaml(entries));
    operatorDir = join(work, 'local', 'operator-lite');
    for (const [p, data] of Object.entries(operatorFiles(U, digests.get('operator/manager')!))) {
      await mkdir(dirname(join(operatorDir, p)), { recursive: true });
      await writeFile(join(operatorDir, p), data);
    }
  });
  after(async () => {
    await Promise.all([up?.close(), mirror?.close(), repo?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('renders webapp with default values: subchart values and globals coalesced, disabled subchart and library templates left out', async () => {
    const chart = await loadChart(await readChartArchive(archives.get('webapp-1.1.0')!, 'webapp'), 'webapp');
    const r = renderChart(chart);
    assert.deepEqual(r.failures, []);
    assert.deepEqual(r.disabled, ['webapp/metrics']);
    assert.deepEqual(r.templates.map((t) => t.name), ['webapp/charts/redis/templates/statefulset.yaml', 'webapp/templates/cronjob.yaml', 'webapp/templates/deployment.yaml', 'webapp/templates/service.yaml']);
    const sts = r.templates.find((t) => t.name.endsWith('statefulset.yaml'))!.content;
    assert.match(sts, /name: release-name-redis-standalone\n/, 'the parent value overrides the subchart default');
    const dep = r.templates.find((t) => t.name.endsWith('deployment.yaml'))!.content;
    assert.match(dep, /\n {2}name: release-name-webapp\n {2}labels:\n {4}app\.kubernetes\.io\/name: webapp\n {4}app\.kubernetes\.io\/instance: "release-name"\n {4}team: payments\n/);
    assert.match(dep, /resources:\n {10}limits:\n {12}cpu: 500m\n {12}memory: 256Mi\n/);
    assert.match(dep, /args: \["--port","8080"\]/);
    assert.match(r.templates.find((t) => t.name.endsWith('cronjob.yaml'))!.content, /^\napiVersion: batch\/v1\n/, 'the {{- if}} line leaves its newline, as Go does');
    assert.deepEqual(chartImages(chart, []).images.map((i) => i.image), expected('webapp-1.1.0'));
  });

  it('helm mirror --repo --chart: images and OCI charts pushed; unrenderable templates named; exit 1', async () => {
    const r = await airlock(['helm', 'mirror', '--repo', repo.url, '--chart', 'webapp:1.1.0', '--chart', 'operator-lite', '--chart', 'broken', '--image-path', '{.spec.agentImage}', '--workspace', join(work, 'standalone'), ...tls, '-o', 'json', `docker://${mirror.hostPort}/apps`], work);
    assert.equal(r.code, 1, r.stderr);
    const doc = JSON.parse(r.stdout) as { charts: Array<{ name: string; version: string; images: Array<{ image: string }>; artifact: { reference: string; digest: string } }>; renderFailures: string[]; errors: unknown[]; missing: string[] };
    assert.deepEqual(doc.charts.map((c) => `${c.name}-${c.version}`), ['webapp-1.1.0', 'operator-lite-0.3.0', 'broken-0.1.0']);
    for (const c of doc.charts) assert.deepEqual(c.images.map((i) => i.image), expected(`${c.name}-${c.version}`), c.name);
    assert.deepEqual(doc.renderFailures, [
      'chart broken-0.1.0: broken/templates/bad.yaml:4: function "frobnicate" not defined',
      'chart broken-0.1.0: broken/templates/needs.yaml:4: error calling required: database.host is required',
    ]);
    assert.match(r.stderr, /error: template not rendered: chart broken-0\.1\.0: broken\/templates\/bad\.yaml:4: function "frobnicate" not defined\n/);
    assert.deepEqual(doc.errors, []);
    assert.deepEqual(doc.missing, []);
    // every image at <dest>/<source path>:<tag> with its source digest; by digest: tag sha256-<hex>
    for (const [ref, digest] of digests) {
      if (!ref.includes(':') || ref.startsWith('apps/webapp:2.0.0') || ref.startsWith('tools/init:2.0.0')) continue;
      const [repository, tag] = ref.split(':') as [string, string];
      const want = repository === 'operator/manager' ? `sha256-${digest.slice(7)}` : tag;
      assert.deepEqual(await resolveTags(mirror.hostPort, `apps/${repository}`, [want]), [digest], ref);
    }
    assert.deepEqual(await resolveTags(mirror.hostPort, 'apps/apps/webapp', ['2.0.0']), [undefined], 'webapp 1.0.0 was not asked for');
    // the OCI Helm chart, read back as helm pull reads it
    const web = doc.charts[0]!;
    assert.equal(web.artifact.reference, `${mirror.hostPort}/apps/helm-charts/webapp:1.1.0`);
    const res = await fetch(`${mirror.url}/v2/apps/helm-charts/webapp/manifests/1.1.0`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(res.status, 200);
    const manifestBytes = Buffer.from(await res.arrayBuffer());
    assert.equal(sha256(manifestBytes), web.artifact.digest);
    assert.equal(res.headers.get('docker-content-digest'), web.artifact.digest);
    const m = JSON.parse(manifestBytes.toString('utf8')) as { mediaType: string; config: { mediaType: string; digest: string; size: number }; layers: Array<{ mediaType: string; digest: string; size: number }>; annotations: Record<string, string> };
    assert.equal(m.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(m.config.mediaType, 'application/vnd.cncf.helm.config.v1+json');
    assert.equal(m.layers.length, 1);
    assert.equal(m.layers[0]!.mediaType, 'application/vnd.cncf.helm.chart.content.v1.tar+gzip');
    assert.equal(m.annotations['org.opencontainers.image.version'], '1.1.0');
    const blob = async (d: string): Promise<Buffer> => Buffer.from(await (await fetch(`${mirror.url}/v2/apps/helm-charts/webapp/blobs/${d}`)).arrayBuffer());
    const config = await blob(m.config.digest);
    const layer = await blob(m.layers[0]!.digest);
    assert.equal(sha256(config), m.config.digest);
    assert.equal(config.length, m.config.size);
    assert.equal(sha256(layer), m.layers[0]!.digest);
    assert.ok(layer.equals(archives.get('webapp-1.1.0')!), 'the chart layer is the repository archive, byte for byte');
    const meta = JSON.parse(config.toString('utf8')) as Record<string, unknown>;
    assert.equal(meta.name, 'webapp');
    assert.equal(meta.version, '1.1.0');
    assert.equal(meta.appVersion, '2.1.0');
    assert.equal(meta.apiVersion, 'v2');
    assert.deepEqual(await resolveTags(mirror.hostPort, 'apps/helm-charts/operator-lite', ['0.3.0']), [doc.charts[1]!.artifact.digest]);
    // --workspace keeps the archives and writes the mirror sets of what was mirrored
    assert.ok((await readFile(join(work, 'standalone/helm/charts/webapp-1.1.0.tgz'))).equals(archives.get('webapp-1.1.0')!));
    assert.ok((await readFile(join(work, 'standalone/cluster-resources/itms-oc-mirror.yaml'), 'utf8')).includes(`    - ${mirror.hostPort}/apps/tools\n    source: ${U}/tools\n`));
    assert.ok((await readFile(join(work, 'standalone/cluster-resources/idms-oc-mirror.yaml'), 'utf8')).includes(`    - ${mirror.hostPort}/apps/operator\n    source: ${U}/operator\n`));
  });

  it('mirror -c with mirror.helm (repository chart + local directory with imagePaths): m2m pushes images and charts, keeps archives in the workspace', async () => {
    const isc = join(work, 'isc-helm.yaml');
    await writeFile(isc, `kind: ImageSetConfiguration
apiVersion: mirror.openshift.io/v2alpha1
mirror:
  helm:
    repositories:
    - name: fixtures
      url: ${repo.url}
      charts:
      - name: webapp
        version: 1.0.0
    local:
    - name: operator-lite
      path: ${operatorDir}
      imagePaths:
      - "{.spec.agentImage}"
`);
    const ws = join(work, 'ws');
    const r = await airlock(['mirror', '-c', isc, '--workspace', `file://${ws}`, `docker://${mirror.hostPort}/isc`, ...tls], work);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /info: helm repository fixtures \(http:\/\/127\.0\.0\.1:\d+\/charts\): 1 chart version\(s\)\n/);
    assert.match(r.stderr, /info: helm chart webapp-1\.0\.0: 6 image\(s\) from 4 rendered template\(s\); pushed as 127\.0\.0\.1:\d+\/isc\/helm-charts\/webapp:1\.0\.0\n/);
    for (const ref of ['apps/webapp:2.0.0', 'tools/init:2.0.0', 'data/redis:7.2', 'operator/agent:3.1', 'operator/kube-rbac-proxy:v0.15']) {
      const [repository, tag] = ref.split(':') as [string, string];
      assert.deepEqual(await resolveTags(mirror.hostPort, `isc/${repository}`, [tag]), [digests.get(ref)], ref);
    }
    const [webChart, opChart] = await resolveTags(mirror.hostPort, 'isc/helm-charts/webapp', ['1.0.0']).then(async (a) => [...a, ...(await resolveTags(mirror.hostPort, 'isc/helm-charts/operator-lite', ['0.3.0']))]);
    assert.ok(webChart && opChart, 'both charts pushed as OCI charts');
    assert.ok((await readFile(join(ws, 'working-dir/helm/charts/webapp-1.0.0.tgz'))).equals(archives.get('webapp-1.0.0')!));
    // helm images are in the generic mirror sets (v2's category); the charts themselves (oci: sources) are not
    const itms = await readFile(join(ws, 'working-dir/cluster-resources/itms-oc-mirror.yaml'), 'utf8');
    const idms = await readFile(join(ws, 'working-dir/cluster-resources/idms-oc-mirror.yaml'), 'utf8');
    assert.match(itms, /name: itms-generic-0\n/);
    for (const ns of ['apps', 'data', 'jobs', 'operator', 'tools']) assert.ok(itms.includes(`    - ${mirror.hostPort}/isc/${ns}\n    source: ${U}/${ns}\n`), itms);
    assert.ok(idms.includes(`    - ${mirror.hostPort}/isc/operator\n    source: ${U}/operator\n`), idms);
    assert.ok(!itms.includes('helm-charts') && !idms.includes('helm-charts') && !itms.includes('oci:'));
    assert.match(await readFile(join(ws, 'working-dir/helm/indexes', `127.0.0.1_${new URL(repo.url).port}`, 'charts', 'index.yaml'), 'utf8'), /webapp:/);
  });

  it('image-set runs count helm images under their own origin; a helm failure sets exit bit 16, not 8', async () => {
    type Report = { exitCode: number; mirrored: Record<string, { images: { source: string }[]; transferred: number; saved: number }>; failed: { kind: string; why: string }[] };
    const report = async (ws: string): Promise<Report> => JSON.parse(await readFile(join(ws, 'working-dir/report.json'), 'utf8')) as Report;
    const good = await report(join(work, 'ws'));
    assert.equal(good.exitCode, 0);
    const helmImages = good.mirrored.helm!.images.map((i) => i.source).sort();
    assert.ok(helmImages.includes(`${U}/apps/webapp:2.0.0`) && helmImages.includes(`${U}/operator/agent:3.1`), helmImages.join(' '));
    assert.equal(good.mirrored.additional!.images.length, 0, 'helm images are not counted as additional');
    assert.ok(good.mirrored.helm!.transferred > 0);
    assert.match(await readFile(join(work, 'ws', 'working-dir/report.html'), 'utf8'), /<h3>helm \(\d+\)<\/h3>/);
    // the broken chart: a template that cannot be rendered is a helm failure
    const isc = join(work, 'isc-broken.yaml');
    await writeFile(isc, `kind: ImageSetConfiguration\napiVersion: mirror.openshift.io/v2alpha1\nmirror:\n  helm:\n    repositories:\n    - name: fixtures\n      url: ${repo.url}\n      charts:\n      - name: broken\n        version: 0.1.0\n`);
    // a dry run (first: nothing is there yet) names the helm bytes
    const dry = await airlock(['mirror', '-c', isc, '--workspace', `file://${join(work, 'ws-broken-dry')}`, `docker://${mirror.hostPort}/broken`, '--dry-run', ...tls], work);
    assert.match(dry.stderr, /info: would transfer .* release 0, operator 0, additional 0, helm [1-9]\d* bytes;/);
    const ws = join(work, 'ws-broken');
    const r = await airlock(['mirror', '-c', isc, '--workspace', `file://${ws}`, `docker://${mirror.hostPort}/broken`, ...tls], work);
    assert.equal(r.code, 16, r.stderr);
    assert.match(r.stderr, /exit status 16: 2 release, 4 operator, 8 additional, 16 helm images/);
    const bad = await report(ws);
    assert.equal(bad.exitCode, 16);
    assert.ok(bad.failed.length > 0 && bad.failed.every((f) => f.kind === 'helm'), JSON.stringify(bad.failed));
  });

  it('charts omitted: every non-library chart version, counted; dry run pushes nothing', async () => {
    const isc = join(work, 'isc-all.yaml');
    await writeFile(isc, `kind: ImageSetConfiguration\napiVersion: mirror.openshift.io/v2alpha1\nmirror:\n  helm:\n    repositories:\n    - name: everything\n      url: ${repo.url}\n`);
    const r = await airlock(['helm', 'mirror', '--config', isc, '--dry-run', '-o', 'json', ...tls, `docker://${mirror.hostPort}/dry`], work);
    assert.equal(r.code, 1, 'broken-0.1.0 is among them');
    const doc = JSON.parse(r.stdout) as { selections: unknown[]; charts: Array<{ name: string; version: string }>; renderFailures: string[] };
    assert.deepEqual(doc.selections, [{ repository: 'everything', url: repo.url, all: true, count: 4 }]);
    assert.deepEqual(doc.charts.map((c) => `${c.name}-${c.version}`), ['broken-0.1.0', 'operator-lite-0.3.0', 'webapp-1.0.0', 'webapp-1.1.0']);
    assert.equal(doc.renderFailures.length, 2);
    assert.match(r.stderr, /info: helm repository http:\/\/127\.0\.0\.1:\d+\/charts: 4 chart version\(s\) \(no --chart: every non-library chart version in index\.yaml\)/);
    assert.deepEqual(await resolveTags(mirror.hostPort, 'dry/helm-charts/webapp', ['1.1.0']), [undefined]);
    assert.deepEqual(await resolveTags(mirror.hostPort, 'dry/apps/webapp', ['2.1.0']), [undefined]);
  });

  it('bad input: usage errors exit 2, unreadable repositories and charts exit 1, one line each, no stack trace', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['--chart', 'webapp', `docker://${mirror.hostPort}`], 2, /^error: --chart needs --repo URL/],
      [['--repo', `${repo.url}/nope`, '--chart', 'webapp', ...tls, `docker://${mirror.hostPort}`], 1, /^error: --repo: helm repository http:\/\/127\.0\.0\.1:\d+\/charts\/nope: http:\/\/127\.0\.0\.1:\d+\/charts\/nope\/index\.yaml answered 404 \(not found\)\n$/],
      [['--repo', repo.url, '--chart', 'webapp:9.9.9', ...tls, `docker://${mirror.hostPort}`], 1, /error: chart webapp-9\.9\.9 \(--chart webapp:9\.9\.9\): .*chart webapp has no version 9\.9\.9 \(it has 1\.0\.0, 1\.1\.0\)/],
      [['--repo', repo.url, `file://${work}/x`], 2, /^error: destination file:\/\/.*: must be docker:\/\/HOST/],
    ];
    for (const [args, code, want] of cases) {
      const r = await airlock(['helm', 'mirror', ...args], work);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, want);
      assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('error:')).length, 1, r.stderr);
      assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
    }
  });
});
