/** The plan model and the executor, on OCI layouts (no network): items are plain data; missing images are found before copying. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MirrorExecutor, planJobs } from '../../src/mirror/executor.js';
import type { MirrorConsole } from '../../src/mirror/console.js';
import { makePlan, platformPattern, type PlanItem } from '../../src/mirror/plan.js';
import { parseImageReference } from '../../src/transports/all.js';
import { LayoutWriter, MT } from '../fixtures/layout.js';

/** Throws unless `v` is JSON-like data: primitives, arrays and plain objects only (no RegExp, class instance, function). */
function assertPlain(v: unknown, path = 'plan'): void {
  if (v === null || v === undefined || ['string', 'number', 'boolean'].includes(typeof v)) return;
  if (Array.isArray(v)) return v.forEach((x, i) => assertPlain(x, `${path}[${i}]`));
  assert.equal(Object.getPrototypeOf(v), Object.prototype, `${path} is a plain object`);
  for (const [k, x] of Object.entries(v as object)) assertPlain(x, `${path}.${k}`);
}

function recordingConsole(lines: string[]): MirrorConsole {
  return { start: () => {}, stop: () => {}, out: (t) => lines.push(`out:${t}`), message: (l) => lines.push(`msg:${l}`), imageDone: () => lines.push('done') };
}

describe('mirror plan and executor', () => {
  let dir: string;
  let digest: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-executor-'));
    const w = new LayoutWriter(join(dir, 'src'), join(dir, 'cache.json'));
    await w.open();
    const config = await w.putJson({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }, MT.ociConfig);
    const manifest = await w.putJson({ schemaVersion: 2, mediaType: MT.ociManifest, config, layers: [] }, MT.ociManifest);
    digest = manifest.digest;
    w.tag(manifest, 'v1');
    await w.close();
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const item = (within: string, origin: PlanItem['origins'][number]): PlanItem => ({
    source: parseImageReference(`oci:${join(dir, 'src')}`),
    within,
    targets: [{ ref: parseImageReference(`oci:${join(dir, 'dst')}`), tag: within.startsWith('sha256:') ? undefined : within }],
    origins: [origin],
  });

  it('a plan is plain data: it survives JSON unchanged; platform overrides become engine filters', () => {
    const plan = makePlan([{ ...item('v1', { kind: 'operator', package: 'etcd', bundle: 'etcd.v1' }), platforms: { mode: 'filter-by-os', pattern: 'linux/.*', keepManifestList: true } }], { skipMissing: true });
    assertPlain(plan);
    assert.throws(() => assertPlain({ p: /x/ }), /plan\.p is a plain object/, 'the check can fail');
    assert.deepEqual(plan.options, { dryRun: false, skipMissing: true, continueOnError: false, attachments: true, platforms: { mode: 'all' } });
    const [job] = planJobs(plan.items);
    assert.equal(job!.platform?.keepManifestList, true);
    assert.equal(job!.platform?.filter?.test('linux/arm64'), true);
    assert.equal(job!.platform?.filter?.test('windows/linux/amd64'), false, 'anchored at both ends');
    assert.equal(planJobs([item('v1', { kind: 'mapping' })])[0]!.platform, undefined);
    assert.equal(platformPattern({ mode: 'all' }), undefined);
  });

  it('a plan read back from JSON: findMissing lists every missing image with its origin before anything is copied; execute copies the rest', async () => {
    const lines: string[] = [];
    const ex = new MirrorExecutor({ hub: {}, console: () => recordingConsole(lines), fileDir: dir, maxPerRegistry: 2 });
    try {
      const built = makePlan([
        item('v1', { kind: 'operator', package: 'etcd', bundle: 'etcd.v1' }),
        item('gone', { kind: 'operator', package: 'etcd', bundle: 'etcd.v2' }),
        item(`sha256:${'0'.repeat(64)}`, { kind: 'operator', package: 'other', bundle: 'other.v1' }),
      ], { skipMissing: true });
      const plan = JSON.parse(JSON.stringify(built)) as typeof built; // as a plan written to disk and read back
      const missing = await ex.findMissing(plan);
      assert.deepEqual(missing.map((m) => [m.image.replace(dir, 'DIR'), m.item.origins[0]?.bundle]), [
        ['oci:DIR/src:gone', 'etcd.v2'],
        [`oci:DIR/src@sha256:${'0'.repeat(64)}`, 'other.v1'],
      ]);
      await assert.rejects(readFile(join(dir, 'dst', 'index.json')), /ENOENT/, 'the check wrote nothing');
      const outcomes: string[] = [];
      const r = await ex.execute(plan, { onImage: (o) => outcomes.push(`${o.digest} ${o.destination.replace(dir, 'DIR')}`) });
      assert.deepEqual(outcomes, [`${digest} oci:DIR/dst:v1`]);
      assert.equal(r.missing.length, 2);
      assert.equal(r.errors.length, 0);
      assert.equal(lines.filter((l) => l === 'done').length, 1, 'the console counted the one image');
      assert.equal(lines.filter((l) => l.startsWith('msg:warning: Image ')).length, 2, 'each missing image warned about');
      assert.equal(ex.report.stats.images, 1);
      assert.match(await readFile(join(dir, 'dst', 'index.json'), 'utf8'), new RegExp(digest));
    } finally {
      await ex.close();
    }
  });
});
