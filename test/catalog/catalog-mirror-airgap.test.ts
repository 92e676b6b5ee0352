/**
 * The seed's air-gapped catalog flow (§4.3.7.2.2) as written, with
 * `airlock catalog mirror` in place of `oc adm catalog mirror`, for the FBC
 * and the SQLite index, on loopback:
 *   1. INDEX → file:///local/index (writes ./v2/, prints the upload command);
 *   2. the v2/ directory is copied elsewhere and the source registry is
 *      shut down (the air gap); file://local/index/<repo>/<index>:<tag> →
 *      REGISTRY/NS uploads every related image from the same store root;
 *   3. REGISTRY/NS/<index> REGISTRY/NS --manifests-only: an ICSP whose every
 *      mirror repository exists and holds the images' digests.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { runAirlockCli } from '../helpers/airlock-process.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import type { CatalogFixture } from '../fixtures/catalog/catalog-fixture.js';
import { FORMATS, holds, pushCatalogFixture, readMapping, readMirrorSets, readYaml } from './catalog-mirror-setup.js';

describe('catalog mirror, air-gapped flow (loopback)', () => {
  let src: AirlockHandle | undefined;
  let mir: AirlockHandle;
  let hub: RegistryHub;
  let fx: CatalogFixture;
  let srcHost: string;
  let dir: string;
  let near: string;
  let far: string;
  const cli = (args: string[], cwd: string) => runAirlockCli(['catalog', 'mirror', '--insecure', '--no-progress', ...args], { env: { HOME: dir }, cwd, timeoutMs: 120_000 });
  const repoOf = (ref: string): string => ref.slice(ref.indexOf('/') + 1).replace(/[@:].*$/, '');
  const hop1 = new Map<string, string>();

  before(async () => {
    [src, mir] = await Promise.all([startAirlock(), startAirlock()]);
    srcHost = src.hostPort;
    dir = await mkdtemp(join(tmpdir(), 'airlock-catairgap-'));
    near = join(dir, 'near');
    far = join(dir, 'far');
    hub = new RegistryHub({ insecure: () => true });
    fx = await pushCatalogFixture(hub, srcHost, dir);
    await Promise.all([mkdir(near), mkdir(far)]);
  });
  after(async () => {
    await hub?.close();
    await Promise.all([src?.close(), mir?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  for (const { format, repo } of FORMATS) {
    it(`${format}, hop 1: INDEX file:///local/index writes the v2/ store and prints the upload command`, async () => {
      const r = await cli([`${srcHost}/${repo}:v1`, 'file:///local/index', '--skip-missing', '--index-filter-by-os=linux/amd64', '--to-manifests', join(dir, `m1-${format}`)], near);
      assert.equal(r.code, 0, r.stderr);
      const hint = `\nTo upload local images to a registry, run:\n\n\tairlock catalog mirror file://local/index/${repo}:v1 REGISTRY/REPOSITORY\n`;
      assert.ok(r.stdout.endsWith(`wrote mirroring manifests to ${join(dir, `m1-${format}`)}\n${hint}`), r.stdout.slice(-400));
      assert.deepEqual((await readdir(join(dir, `m1-${format}`))).sort(), ['mapping.txt', 'missing.txt'], 'a file:// destination gets mapping.txt only (and the missing list)');
      const mapping = readMapping(await readFile(join(dir, `m1-${format}`, 'mapping.txt'), 'utf8'));
      for (const [, dst] of mapping) assert.match(dst, /^file:\/\/local\/index\//);
      for (const img of fx.images) {
        assert.ok((await stat(join(near, 'v2', 'local', 'index', ...img.repository.split('/'), 'manifests', img.set.top.digest))).isFile(), img.ref);
        hop1.set(img.ref, mapping.find(([s]) => s === img.ref)![1]);
      }
      assert.equal((await lstat(join(near, 'v2', 'local', 'index', ...repo.split('/'), 'manifests', 'v1'))).isSymbolicLink(), true);
    });
  }

  it('the media cross the air gap: v2/ is copied to another host and the source registry is gone', async () => {
    await cp(join(near, 'v2'), join(far, 'v2'), { recursive: true, verbatimSymlinks: true });
    await src!.close();
    src = undefined;
    const r = await runAirlockCli(['catalog', 'list', '--insecure', `${srcHost}/olm/fbc-index:v1`], { env: { HOME: dir } });
    assert.equal(r.code, 1, 'the source registry no longer answers');
  });

  for (const { format, repo, name } of FORMATS) {
    it(`${format}, hops 2 and 3: upload from file://local/index, then --manifests-only from the mirrored index gives real mirror locations`, async () => {
      const out2 = join(dir, `m2-${format}`);
      const r2 = await cli([`file://local/index/${repo}:v1`, `${mir.hostPort}/${format}-ns`, '--skip-missing', '--index-filter-by-os=linux/amd64', '--to-manifests', out2], far);
      assert.equal(r2.code, 0, r2.stderr);
      for (const m of fx.missing) assert.match(r2.stderr, new RegExp(`^warning: ${m.replace(/[.]/g, '\\.')} does not exist \\(needed by bundle \\S+ of package (redis|kafka)\\)$`, 'm'));
      const mapping2 = new Map(readMapping(await readFile(join(out2, 'mapping.txt'), 'utf8')));
      assert.equal(mapping2.get(`file://local/index/${repo}:v1`), `${mir.hostPort}/${format}-ns/olm-${name}:v1`);
      for (const img of fx.images) {
        const fileRef = `file://local/index/${img.repository}@${img.set.top.digest}`;
        const dst = mapping2.get(fileRef);
        assert.ok(dst, `${fileRef} is uploaded`);
        assert.equal(dst.slice(dst.lastIndexOf(':')), hop1.get(img.ref)!.slice(hop1.get(img.ref)!.lastIndexOf(':')), 'the same FNV tag as the first hop');
        assert.ok(await holds(hub, mir.hostPort, repoOf(dst), img.set.top.digest), `${dst} holds ${img.ref}`);
      }

      const out3 = join(dir, `m3-${format}`);
      const mirroredIndex = `${mir.hostPort}/${format}-ns/olm-${name}:v1`;
      const r3 = await cli([mirroredIndex, `${mir.hostPort}/${format}-ns`, '--manifests-only', '--to-manifests', out3], far);
      assert.equal(r3.code, 0, r3.stderr);
      // --manifests-only does not read the sources (out of reach here), so the repository whose only image
      // is missing (redis/exporter) gets an entry too; every other mirror holds every image of its source.
      const present = [...new Set(fx.images.map((i) => `${srcHost}/${i.repository}`))];
      const missingOnly = `${srcHost}/ops/team/redis/exporter`;
      assert.ok(!present.includes(missingOnly));
      for (const file of ['imageContentSourcePolicy.yaml', 'imageDigestMirrorSet.yaml']) {
        const [doc, ...more] = readMirrorSets(await readFile(join(out3, file), 'utf8'));
        assert.equal(more.length, 0);
        const entries = Object.values(doc!.spec)[0]!;
        assert.deepEqual(entries.map((e) => e.source), [...present, missingOnly].sort(), 'the original repositories, not local paths');
        for (const e of entries) {
          assert.equal(e.mirrors.length, 1);
          assert.ok(e.mirrors[0]!.startsWith(`${mir.hostPort}/${format}-ns/`), e.mirrors[0]);
          const imgs = fx.images.filter((i) => `${srcHost}/${i.repository}` === e.source);
          assert.equal(imgs.length === 0, e.source === missingOnly);
          for (const img of imgs) assert.ok(await holds(hub, mir.hostPort, repoOf(e.mirrors[0]!), img.set.top.digest), `${e.mirrors[0]} holds ${img.ref}`);
        }
        const [up] = readMirrorSets(await readFile(join(out2, file), 'utf8'));
        assert.deepEqual(Object.values(up!.spec)[0], entries.filter((e) => e.source !== missingOnly), 'the upload hop already wrote the same mirror sets (without the missing image)');
      }
      const cs = readYaml<{ metadata: { name: string }; spec: { image: string } }>(await readFile(join(out3, 'catalogSource.yaml'), 'utf8'));
      assert.equal(cs.metadata.name, `olm-${name}`, 'named after the mirrored index repository');
      assert.equal(cs.spec.image, mirroredIndex, 'the CatalogSource names the mirrored index where it is');
      assert.ok(await holds(hub, mir.hostPort, repoOf(cs.spec.image), 'v1'));
    });
  }
});

