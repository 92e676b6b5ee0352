/**
 * The seed's connected mode (§4.3.5), on loopback: `airlock release mirror`
 * with the seed's flags from an upstream airlock standing in for quay.io into
 * a mirror airlock — dry run first (instructions, nothing pushed), then the
 * mirror itself (exact printed text, every digest resolves, cosign tags,
 * --output-dir files), a no-op re-run, --to-mirror, IDMS text, and bad input.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { makeSyntheticRelease, type SyntheticRelease } from '../fixtures/release-fixture.js';
import { airlock, expectedMirrorText, pullSecret, resolveTags } from './support.js';

describe('release mirror: connected mirror host (seed mode 1)', () => {
  let work: string;
  let up: AirlockHandle;
  let mirror: AirlockHandle;
  let rel: SyntheticRelease;
  let secret: string;
  let args: string[];
  let repo: string;
  const sources = (): string[] => [`${up.hostPort}/${rel.releaseRepo}`, `${up.hostPort}/${rel.componentRepo}`];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-release-mirror-'));
    [up, mirror] = await Promise.all([startAirlock(), startAirlock()]);
    rel = await makeSyntheticRelease({ registry: up.hostPort, cosign: ['installer', 'etcd'] });
    secret = await pullSecret(work, [up.hostPort, mirror.hostPort]);
    repo = `${mirror.hostPort}/ocp4/openshift4`;
    // the seed's command: -a ${LOCAL_SECRET_JSON} --from=quay.io/${PRODUCT_REPO}/${RELEASE_NAME}:${OCP_RELEASE}-${ARCHITECTURE} --to=… --to-release-image=…
    args = ['release', 'mirror', '-a', secret, '--insecure', `--from=${rel.ref}`, `--to=${repo}`, `--to-release-image=${repo}:4.12.0-x86_64`];
  });
  after(async () => {
    await Promise.all([up?.close(), mirror?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('--dry-run prints the imageContentSources to save, writes the --output-dir files and pushes nothing', async () => {
    const out = join(work, 'out-dry');
    const r = await airlock([...args, '--dry-run', '--output-dir', out], work);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, expectedMirrorText(repo, `${repo}:4.12.0-x86_64`, [repo, `${repo}:4.12.0-x86_64`], sources(), 'icsp'));
    assert.match(r.stderr, /info: Mirroring 184 images to /);
    assert.match(r.stderr, /Dry run complete/);
    const snippet = parseYaml(await readFile(join(out, 'install-config-snippet.yaml'), 'utf8')) as unknown;
    assert.deepEqual(snippet, { imageContentSources: sources().map((s) => ({ mirrors: [repo], source: s })) });
    for (const f of ['icsp.yaml', 'idms.yaml']) assert.match(await readFile(join(out, f), 'utf8'), /kind: Image(ContentSourcePolicy|DigestMirrorSet)/);
    assert.deepEqual(await resolveTags(mirror.hostPort, 'ocp4/openshift4', ['4.12.0-x86_64', '4.12.0-x86_64-etcd']), [undefined, undefined]);
  });

  it('mirrors the release: exact output, every component digest resolves, cosign tags copied, --output-dir files', async () => {
    const out = join(work, 'out');
    const r = await airlock([...args, '--output-dir', out], work);
    assert.equal(r.code, 0, r.stderr);
    const want = expectedMirrorText(repo, `${repo}:4.12.0-x86_64`, [repo, `${repo}:4.12.0-x86_64`], sources(), 'icsp');
    assert.equal(r.stdout, want);
    assert.doesNotMatch(r.stderr, /deprecated/, 'a 4.12 cluster has no ImageDigestMirrorSet: icsp is no deprecated choice there');
    const tags = ['4.12.0-x86_64', ...rel.components.map((c) => `4.12.0-x86_64-${c.name}`)];
    assert.deepEqual(await resolveTags(mirror.hostPort, 'ocp4/openshift4', tags), [rel.digest, ...rel.components.map((c) => c.digest)]);
    assert.deepEqual(await resolveTags(mirror.hostPort, 'ocp4/openshift4', rel.components.map((c) => c.digest)), rel.components.map((c) => c.digest), 'by digest, as the cluster pulls them');
    const sigs = [...rel.sigTags.values()].flat();
    assert.equal(sigs.length, 3);
    assert.ok((await resolveTags(mirror.hostPort, 'ocp4/openshift4', sigs)).every((d) => d !== undefined), 'cosign .sig tags are in the mirror');
    assert.match(r.stderr, /copied 3 signature\(s\) and other attachment\(s\)/);
    // the printed snippet parses and says what it should
    const snippet = want.split('install-config.yaml:\n\n')[1]!.split('\n\n\n')[0]!;
    assert.deepEqual(parseYaml(snippet), { imageContentSources: sources().map((s) => ({ mirrors: [repo], source: s })) });
    assert.equal(await readFile(join(out, 'install-config-snippet.yaml'), 'utf8'), `${snippet}\n`);
    const icsp = parseYaml(await readFile(join(out, 'icsp.yaml'), 'utf8')) as { kind: string; spec: { repositoryDigestMirrors: unknown[] } };
    assert.equal(icsp.kind, 'ImageContentSourcePolicy');
    assert.deepEqual(icsp.spec.repositoryDigestMirrors, sources().map((s) => ({ mirrors: [repo], source: s })));
    const idms = parseYaml(await readFile(join(out, 'idms.yaml'), 'utf8')) as { apiVersion: string; kind: string; spec: { imageDigestMirrors: unknown[] } };
    assert.deepEqual([idms.apiVersion, idms.kind], ['config.openshift.io/v1', 'ImageDigestMirrorSet']);
    assert.deepEqual(idms.spec.imageDigestMirrors, sources().map((s) => ({ mirrors: [repo], source: s })));
  });

  it('a re-run is a no-op and --print-mirror-instructions idms prints imageDigestSources', async () => {
    const r = await airlock([...args, '--print-mirror-instructions', 'idms'], work);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, expectedMirrorText(repo, `${repo}:4.12.0-x86_64`, [repo, `${repo}:4.12.0-x86_64`], sources(), 'idms'));
    assert.match(r.stderr, /(\d+) images \(\1 already complete\); blobs: 0 transferred/);
    assert.doesNotMatch(r.stderr, /copied \d+ signature/, `a no-op re-run copies nothing:\n${r.stderr}`);
    assert.match(r.stderr, /info: 3 signature\(s\) and other attachment\(s\) already present\n/);
    const none = await airlock([...args, '--print-mirror-instructions=none'], work);
    assert.equal(none.stdout, `\nSuccess\nUpdate image:  ${repo}:4.12.0-x86_64\nMirror prefix: ${repo}\nMirror prefix: ${repo}:4.12.0-x86_64\n`);
  });

  it('a 4.13 release defaults to IDMS and imageDigestSources; an explicit icsp wins, with oc\'s deprecation warning', async () => {
    const r13 = await makeSyntheticRelease({ registry: up.hostPort, version: '4.13.0', count: 3 });
    const to = `${mirror.hostPort}/ocp413/openshift4`;
    const srcs = [`${up.hostPort}/${r13.releaseRepo}`, `${up.hostPort}/${r13.componentRepo}`];
    const base = ['release', 'mirror', '-a', secret, '--insecure', `--from=${r13.ref}`, `--to=${to}`];
    const d = await airlock(base, work);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(d.stdout, expectedMirrorText(to, `${to}:4.13.0-x86_64`, [to], srcs, 'idms'));
    assert.doesNotMatch(d.stderr, /deprecated/);
    const i = await airlock([...base, '--print-mirror-instructions=icsp'], work);
    assert.equal(i.code, 0, i.stderr);
    assert.equal(i.stdout, expectedMirrorText(to, `${to}:4.13.0-x86_64`, [to], srcs, 'icsp'));
    assert.match(i.stderr, /value 'icsp' has been deprecated\. Use 'idms' instead/);
  });

  it('--to-mirror prints SRC DST for the release and each component', async () => {
    const r = await airlock(['release', 'mirror', '--insecure', `--from=${rel.ref}`, `--to=${repo}`, '--to-mirror'], work);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 184);
    assert.equal(lines[0], `${rel.ref} ${repo}:4.12.0-x86_64`);
    for (const c of rel.components) assert.ok(lines.includes(`${c.pullSpec} ${repo}:4.12.0-x86_64-${c.name}`), c.name);
  });

  it('--skip-release-image leaves the release out; bad --to is refused with oc\'s text', async () => {
    const skip = await airlock(['release', 'mirror', '--insecure', rel.ref, `--to=${mirror.hostPort}/skip/me`, '--skip-release-image', '--to-mirror'], work);
    assert.equal(skip.stdout.trimEnd().split('\n').length, 183);
    for (const bad of [`${repo}:latest`, `${repo}@sha256:${'0'.repeat(64)}`]) {
      const r = await airlock(['release', 'mirror', '--insecure', `--from=${rel.ref}`, `--to=${bad}`], work);
      assert.equal(r.code, 2);
      assert.equal(r.stderr, 'error: --to must be to an image repository and may not contain a tag or digest\n');
    }
    const both = await airlock(['release', 'mirror', `--from=${rel.ref}`, `--to=${repo}`, '--skip-release-image', `--to-release-image=${repo}:x`], work);
    assert.equal(both.stderr, 'error: --skip-release-image and --to-release-image may not both be specified\n');
    const comp = await airlock(['release', 'mirror', '--insecure', `--from=${rel.components[0]!.pullSpec}`, `--to=${repo}`], work);
    assert.equal(comp.code, 2);
    assert.match(comp.stderr, /is not a release image: \/release-manifests\/image-references was not found/);
  });
});
