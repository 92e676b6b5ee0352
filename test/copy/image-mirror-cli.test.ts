/**
 * `airlock image mirror` as users run it (a child process), against airlock
 * and docker-registry on loopback: oc-style arguments and mapping files, tag
 * globs, JSON output, re-runs, dry runs, missing images, platform filters.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFixtures, type FixtureImage, type FixtureSet } from '../fixtures/make-fixtures.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { runAirlockCli, type CliResult } from '../helpers/airlock-process.js';
import { dockerRegistryUnavailableReason, startDockerRegistry, type DockerRegistryHandle } from '../helpers/docker-registry.js';
import { checkImageTree, getManifest, headManifest } from '../interop/support/registry-api.js';
import { peerGate } from '../interop/support/peers.js';
import { createCopyContext } from '../../src/copy/copy-context.js';
import { copyImage } from '../../src/copy/copy-image.js';
import { OciLayout } from '../../src/transports/oci-layout/layout.js';
import { OciLayoutSource } from '../../src/transports/oci-layout/layout-image.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { uniqueBlobs, uploadStarts } from './support/counts.js';

const gate = peerGate([dockerRegistryUnavailableReason()]);

/** `airlock ARGS` in `cwd`, with HOME=cwd. */
function airlock(args: string[], cwd: string): Promise<CliResult> {
  return runAirlockCli(args, { cwd, env: { HOME: cwd }, timeoutMs: 120_000 });
}

describe('airlock image mirror', { skip: gate.skip }, () => {
  if (gate.failure !== undefined) {
    it('has the peer tools it needs', () => assert.fail(gate.failure));
    return;
  }
  let work: string;
  let fx: FixtureSet;
  let src: AirlockHandle;
  let b: AirlockHandle;
  let d: DockerRegistryHandle;
  let S: string;
  const img = (ref: string): FixtureImage => fx.images.find((i) => i.ref === ref)!;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-mirror-cli-'));
    fx = await makeFixtures(join(work, 'fixtures'), { smallCount: 3 });
    [src, b, d] = await Promise.all([startAirlock(), startAirlock(), startDockerRegistry()]);
    S = src.hostPort;
    const hub = new RegistryHub({ insecure: () => true });
    const ctx = createCopyContext();
    const layout = new OciLayoutSource(await OciLayout.open(fx.layout, { create: false }));
    for (const i of fx.images) await copyImage(ctx, layout, i.ref, [{ dst: hub.destination({ registry: S, repository: i.repo }), tag: i.tag ?? undefined }]);
    // extra tags for glob tests
    const multi = await layout.getManifest('multi-v1');
    for (const t of ['v1.1', 'v2']) await hub.destination({ registry: S, repository: 'fixtures/multi' }).putManifest(multi, { tag: t });
    await hub.close();
  });

  after(async () => {
    await Promise.all([src?.close(), b?.close(), d?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('SRC DST [DST...]: prints "<digest> <dst>" per destination, digests preserved on airlock and docker-registry', async () => {
    const big = img('big-v1');
    const r = await airlock(['image', 'mirror', '--insecure', `${S}/fixtures/big:v1`, `${b.hostPort}/one/big`, `${d.hostPort}/one/big:copy`], work);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').sort(), [`${big.digest} ${b.hostPort}/one/big:v1`, `${big.digest} ${d.hostPort}/one/big:copy`].sort());
    assert.equal((await headManifest(b.url, 'one/big', 'v1')).digest, big.digest);
    assert.deepEqual(await checkImageTree(d.url, 'one/big', big.digest), []);
    assert.match(r.stderr, /info: Mirroring completed: 2 images .*blobs: 8 transferred/);
    // Not a terminal: plain progress lines on stderr, never control characters.
    assert.match(r.stderr, /^progress: [\d.]+[KMG]?i?B\/[\d.]+[KMG]?i?B, 2\/2 images, [\d.]+ MB\/s/m);
    assert.ok(!r.stderr.includes('\r') && !r.stderr.includes('\u001b'), 'no terminal control characters');
    const quiet = await airlock(['image', 'mirror', '--insecure', '--no-progress', `${S}/fixtures/big:v1`, `${b.hostPort}/one/big-again`], work);
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.doesNotMatch(quiet.stderr, /progress:/);
  });

  it('-f mapping file: both line forms, comments, tag globs, tagless by digest; each unique blob uploaded once; JSON output', async () => {
    const tagless = img('tagless-v1');
    const file = join(work, 'mapping.txt');
    const lines = [
      '# release-style lines: SRC DST',
      `${S}/fixtures/small-00:v1 ${b.hostPort}/glob/small-00   # trailing comment`,
      '',
      `${S}/fixtures/small-01:v1=${b.hostPort}/glob/small-01:renamed`,
      `${S}/fixtures/multi:v*  ${b.hostPort}/glob/multi`,
      `${S}/fixtures/tagless@${tagless.digest}=${b.hostPort}/glob/tagless`,
      `${S}/fixtures/dockerlist:v1 ${b.hostPort}/glob/dockerlist`,
    ];
    await writeFile(file, `${lines.join('\n')}\n`);
    const startsBefore = await uploadStarts(b.url);
    const r = await airlock(['image', 'mirror', '--insecure', '-f', file, '-o', 'json'], work);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { images: { destination: string; digest: string; skipped: boolean }[]; stats: { blobs: Record<string, number> } };
    const got = Object.fromEntries(doc.images.map((i) => [i.destination, i.digest]));
    const multi = img('multi-v1').digest;
    assert.deepEqual(got, {
      [`${b.hostPort}/glob/small-00:v1`]: img('small-00-v1').digest,
      [`${b.hostPort}/glob/small-01:renamed`]: img('small-01-v1').digest,
      [`${b.hostPort}/glob/multi:v1`]: multi,
      [`${b.hostPort}/glob/multi:v1.1`]: multi,
      [`${b.hostPort}/glob/multi:v2`]: multi,
      [`${b.hostPort}/glob/tagless`]: tagless.digest,
      [`${b.hostPort}/glob/dockerlist:v1`]: img('dockerlist-v1').digest,
    });
    for (const [dst, digest] of Object.entries(got)) {
      const repo = dst.slice(b.hostPort.length + 1).replace(/:[^/]*$/, '');
      assert.deepEqual(await checkImageTree(b.url, repo, digest), [], dst);
    }
    const roots = ['small-00-v1', 'small-01-v1', 'multi-v1', 'tagless-v1', 'dockerlist-v1'].map((r) => img(r).digest);
    const unique = await uniqueBlobs(fx.layout, roots);
    const big = await uniqueBlobs(fx.layout, [img('big-v1').digest]);
    const expected = [...unique].filter((x) => !big.has(x)).length;
    assert.equal(doc.stats.blobs.uploaded, expected, 'each unique blob crossed once');
    assert.equal((await uploadStarts(b.url)) - startsBefore, expected, 'the registry saw one upload per unique blob');

    const again = await airlock(['image', 'mirror', '--insecure', '-f', file, '-o', 'json'], work);
    assert.equal(again.code, 0, again.stderr);
    const doc2 = JSON.parse(again.stdout) as typeof doc;
    assert.ok(doc2.images.every((i) => i.skipped), 're-run skips complete images');
    assert.equal(doc2.stats.blobs.uploaded ?? 0, 0);
    assert.equal((await uploadStarts(b.url)) - startsBefore, expected);
  });

  it('--dry-run prints the plan with actions and total bytes and writes nothing', async () => {
    const r = await airlock(['image', 'mirror', '--insecure', '--dry-run', `${S}/fixtures/small-02:v1`, `${b.hostPort}/dry/small-02`], work);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`${b.hostPort.replace(/\./g, '\\.')}/\n  dry/small-02\n    blobs:\n`));
    assert.match(r.stderr, /\(exists\)|\(mount\)|sha256:[0-9a-f]{64} \d/);
    assert.match(r.stderr, /manifests:\n {6}sha256:[0-9a-f]{64} -> v1/);
    assert.match(r.stderr, /total: 1 images .* blobs to transfer/);
    assert.match(r.stderr, /\n {2}stats: shared=0 unique=\d+ size=[\d.]+\w+( ratio=1\.00)?\n/);
    assert.equal((await headManifest(b.url, 'dry/small-02', 'v1')).status, 404, 'nothing pushed');

    // file:// destinations: the registry header is the --dir path (as oc prints it).
    const disk = join(work, 'dry-disk');
    const f = await airlock(['image', 'mirror', '--insecure', '--dry-run', '--dir', disk, `${S}/fixtures/small-02:v1`, 'file://dry/small-02'], work);
    assert.equal(f.code, 0, f.stderr);
    assert.ok(f.stderr.includes(`${disk}/\n  dry/small-02\n    blobs:\n`), f.stderr);
    assert.ok(!existsSync(disk), 'nothing written');

    // A filtered manifest list: the plan says the digest changes.
    const multi = img('multi-v1');
    const k = await airlock(['image', 'mirror', '--insecure', '--dry-run', '--filter-by-os', 'linux/(amd64|arm64).*', '--keep-manifest-list', `${S}/fixtures/multi:v1`, `${b.hostPort}/dry/multi`], work);
    assert.equal(k.code, 0, k.stderr);
    assert.match(k.stderr, new RegExp(`\n {6}(sha256:[0-9a-f]{64}) -> v1 \\(filtered by --filter-by-os: source ${multi.digest}, new digest\\)\n`));
    const [, newDigest] = /(sha256:[0-9a-f]{64}) -> v1 \(filtered/.exec(k.stderr)!;
    assert.notEqual(newDigest, multi.digest);
  });

  it('--skip-missing warns, lists missing images in a file, and mirrors the rest; without it the run fails', async () => {
    const file = join(work, 'with-missing.txt');
    await writeFile(file, `${S}/fixtures/small-00:v1 ${b.hostPort}/miss/small-00\n${S}/fixtures/nope:v9 ${b.hostPort}/miss/nope\n`);
    const r = await airlock(['image', 'mirror', '--insecure', '--skip-missing', '--missing-file', join(work, 'missing.txt'), '-f', file], work);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`warning: Image ${S}/fixtures/nope:v9 does not exist and will not be mirrored`));
    assert.equal(await readFile(join(work, 'missing.txt'), 'utf8'), `${S}/fixtures/nope:v9\n`);
    assert.match(r.stdout, /small-00:v1/);
    const fail = await airlock(['image', 'mirror', '--insecure', '-f', file], work);
    assert.equal(fail.code, 1);
    assert.match(fail.stderr, /error: .*fixtures\/nope:v9: .*not found/);
    assert.match(fail.stderr, /one or more errors occurred/);
  });

  it('--filter-by-os picks one platform (its digest); with --keep-manifest-list pushes a filtered list and says so', async () => {
    const multi = img('multi-v1');
    const arm = multi.children!.find((c) => c.platform.architecture === 'arm64')!;
    const one = await airlock(['image', 'mirror', '--insecure', '--filter-by-os', 'linux/arm64.*', `${S}/fixtures/multi:v1`, `${b.hostPort}/filter/one`], work);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(one.stdout.trim(), `${arm.digest} ${b.hostPort}/filter/one:v1`);
    const two = await airlock(['image', 'mirror', '--insecure', '--filter-by-os', 'linux/(amd64|arm64).*', '--keep-manifest-list', `${S}/fixtures/multi:v1`, `${b.hostPort}/filter/two`], work);
    assert.equal(two.code, 0, two.stderr);
    const [digest] = two.stdout.trim().split(' ');
    assert.notEqual(digest, multi.digest);
    assert.match(two.stderr, new RegExp(`filtered manifest list ${digest} replaces ${multi.digest}`));
    const m = await getManifest(b.url, 'filter/two', 'v1');
    const doc = JSON.parse(m.body.toString('utf8')) as { manifests: { platform: { architecture: string } }[] };
    assert.deepEqual(doc.manifests.map((x) => x.platform.architecture), ['amd64', 'arm64']);
    assert.deepEqual(await checkImageTree(b.url, 'filter/two', digest!), []);
    const none = await airlock(['image', 'mirror', '--insecure', '--filter-by-os', 'windows/.*', `${S}/fixtures/multi:v1`, `${b.hostPort}/filter/none`], work);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no platform matches --filter-by-os/);
  });

  it('reports bad input with file:line and exit status 2', async () => {
    const bad = join(work, 'bad.txt');
    await writeFile(bad, `# ok\n${S}/fixtures/small-00:v1 ${b.hostPort}/x\n${S}/fixtures/small-00 ${b.hostPort}/y\n`);
    let r = await airlock(['image', 'mirror', '--insecure', '-f', bad], work);
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`error: ${bad.replace(/\./g, '\\.')}:3: source .*fixtures/small-00 needs a tag or a digest`));
    await writeFile(bad, `${S}/fixtures/small-00:v1\n`);
    r = await airlock(['image', 'mirror', '-f', bad], work);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.txt:1: expected "SRC DST/);
    r = await airlock(['image', 'mirror', `${S}/a:v1=${b.hostPort}/b`, `${S}/c:v1`], work);
    assert.match(r.stderr, /when one argument is SRC=DST, all must be/);
    r = await airlock(['image', 'mirror', `${S}/a:v1`, `${b.hostPort}/b@sha256:${'0'.repeat(64)}`], work);
    assert.match(r.stderr, /may not carry a digest/);
    r = await airlock(['image', 'mirror', '-a', join(work, 'no-such-auth.json'), `${S}/a:v1`, `${b.hostPort}/b`], work);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot read registry config .*no-such-auth\.json: ENOENT/);
    r = await airlock(['image', 'mirror', '--insecure', `${S}/a:v1`, `${b.hostPort}/b:x`, `${b.hostPort}/b:x`], work);
    assert.ok(r.code !== 0);
    assert.ok(!existsSync(join(work, 'missing-images.txt')));
  });
});
