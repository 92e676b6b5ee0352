/**
 * The seed's disconnected mode (§4.3.5) on loopback: `release mirror
 * --to-dir` onto "removable media" (signature ConfigMap from a loopback
 * signature store named by the payload), then the printed `image mirror
 * --from-dir … 'file://openshift/release:<ver>-<arch>*' REGISTRY/REPOSITORY`
 * into a fresh airlock — same digests, cosign tags along — and `release
 * mirror --from-dir` printing the same instructions as the connected mode.
 * Also: an unreachable signature store only warns.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { freePort } from '../helpers/airlock-process.js';
import { makeSyntheticRelease, type SyntheticRelease } from '../fixtures/release-fixture.js';
import { startSigStore, verificationConfigMap, type SigStore } from '../fixtures/release-sigstore.js';
import { airlock, expectedMirrorText, pullSecret, resolveTags } from './support.js';

describe('release mirror: removable media (seed mode 2)', () => {
  let work: string;
  let media: string;
  let up: AirlockHandle;
  let fresh: AirlockHandle;
  let sigs: SigStore;
  let rel: SyntheticRelease;
  let secret: string;
  const gpg = [Buffer.from('-----fake binary gpg signature 1-----'), Buffer.from([0, 1, 2, 250, 251, 252])];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-release-disk-'));
    media = join(work, 'media');
    [up, fresh, sigs] = await Promise.all([startAirlock(), startAirlock(), startSigStore()]);
    rel = await makeSyntheticRelease({ registry: up.hostPort, count: 183, cosign: ['installer'], manifests: new Map([['0000_90_cluster-update-keys_configmap.yaml', verificationConfigMap(sigs.url)]]) });
    sigs.set(rel.digest, gpg);
    secret = await pullSecret(work, [up.hostPort, fresh.hostPort]);
  });
  after(async () => {
    await Promise.all([up?.close(), fresh?.close(), sigs?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('release mirror --to-dir writes the file:// store, the signature ConfigMap, and prints the upload command', async () => {
    // the seed: oc adm release mirror -a ${LOCAL_SECRET_JSON} --to-dir=${REMOVABLE_MEDIA_PATH}/mirror quay.io/…:${OCP_RELEASE}-${ARCHITECTURE}
    const r = await airlock(['release', 'mirror', '-a', secret, '--insecure', `--to-dir=${media}/mirror`, rel.ref], work);
    assert.equal(r.code, 0, r.stderr);
    const sigFile = join(media, 'mirror', 'config', `signature-sha256-${rel.digest.slice(7, 23)}.json`);
    assert.equal(
      r.stdout,
      `\nSuccess\nUpdate image:  openshift/release:4.12.0-x86_64\n` +
        `\nTo upload local images to a registry, run:\n\n    airlock image mirror --from-dir=${media}/mirror 'file://openshift/release:4.12.0-x86_64*' REGISTRY/REPOSITORY\n\n` +
        `Configmap signature file ${sigFile} created\n`,
    );
    const hex = rel.digest.slice(7);
    assert.equal(
      await readFile(sigFile, 'utf8'),
      `{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"sha256-${hex}","namespace":"openshift-config-managed","creationTimestamp":null,` +
        `"labels":{"release.openshift.io/verification-signatures":""}},"binaryData":{"sha256-${hex}-1":"${gpg[0]!.toString('base64')}","sha256-${hex}-2":"${gpg[1]!.toString('base64')}"}}\n`,
    );
    assert.equal((await stat(sigFile)).mode & 0o777, 0o640);
    assert.equal((await stat(join(media, 'mirror', 'config'))).mode & 0o777, 0o750);
    assert.ok(sigs.requests.includes(`/sigs/sha256=${hex}/signature-3`), 'stops at the first missing signature');
  });

  it('the printed image mirror command uploads it into a fresh airlock with the same digests and cosign tags', async () => {
    const r1 = await airlock(['release', 'mirror', '-a', secret, '--insecure', `--to-dir=${media}/mirror`, rel.ref], work);
    const cmd = / {4}airlock image mirror (--from-dir=\S+) '([^']+)' REGISTRY\/REPOSITORY/.exec(r1.stdout)!;
    const repo = `${fresh.hostPort}/ocp4/openshift4`;
    const r = await airlock(['image', 'mirror', '-a', secret, '--insecure', cmd[1]!, cmd[2]!, repo], work);
    assert.equal(r.code, 0, r.stderr);
    const tags = ['4.12.0-x86_64', ...rel.components.map((c) => `4.12.0-x86_64-${c.name}`)];
    assert.deepEqual(await resolveTags(fresh.hostPort, 'ocp4/openshift4', tags), [rel.digest, ...rel.components.map((c) => c.digest)]);
    const sigTags = [...rel.sigTags.values()].flat();
    assert.ok((await resolveTags(fresh.hostPort, 'ocp4/openshift4', sigTags)).every((d) => d !== undefined), 'cosign tags crossed the air gap');
  });

  it('release mirror --from-dir into the registry prints the same instructions as the connected mode', async () => {
    const repo = `${fresh.hostPort}/ocp4/second`;
    const r = await airlock(['release', 'mirror', '-a', secret, '--insecure', `--from-dir=${media}/mirror`, '--from=file://openshift/release:4.12.0-x86_64', `--to=${repo}`, `--to-release-image=${repo}:4.12.0-x86_64`], work);
    assert.equal(r.code, 0, r.stderr);
    const sources = [`${up.hostPort}/${rel.releaseRepo}`, `${up.hostPort}/${rel.componentRepo}`];
    assert.equal(r.stdout, expectedMirrorText(repo, `${repo}:4.12.0-x86_64`, [repo, `${repo}:4.12.0-x86_64`], sources, 'icsp'));
    assert.deepEqual(await resolveTags(fresh.hostPort, 'ocp4/second', rel.components.map((c) => c.digest)), rel.components.map((c) => c.digest));
  });

  it('an unreachable signature store is a clear warning; the mirror is otherwise complete', async () => {
    const dead = `http://127.0.0.1:${await freePort()}/sigs`;
    const repo = `${fresh.hostPort}/ocp4/nosig`;
    const dir = join(work, 'sig-out');
    const r = await airlock(['release', 'mirror', '--insecure', `--from=${rel.ref}`, `--to=${repo}`, '--release-image-signature-to-dir', dir, '--signature-store', dead], work);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`warning: unable to retrieve release image signatures for ${rel.digest} from ${dead.replace(/\./g, '\\.')}: .*`));
    assert.match(r.stderr, /no signature ConfigMap was written \(the mirror itself is complete\)/);
    assert.ok(r.stdout.endsWith(`\n\nTo apply signature configmaps use 'oc apply' on files found in ${dir}\n\n`));
    assert.equal((await resolveTags(fresh.hostPort, 'ocp4/nosig', ['4.12.0-x86_64']))[0], rel.digest);
  });
});
