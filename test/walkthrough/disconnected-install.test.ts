/**
 * Runs docs/disconnected-install.md as written: every ```sh block not marked
 * `<!-- walkthrough: skip -->`, in order, in one bash script with `airlock` on
 * PATH, against two loopback airlock registries over HTTPS: one stands in
 * for quay.io / registry.redhat.io (no login, a synthetic 4.12.0 release and
 * an operator catalog at redhat/redhat-operator-index:v4.12), the other is the
 * mirror (TLS, accounts, token auth). The hosts' trust store is
 * SSL_CERT_FILE with both generated CAs, in place of update-ca-trust.
 * Then checks what the document promises: the release, its components and
 * the catalog resolve in the mirror by digest, the robot can pull but not
 * push, the installer came out of the mirror, and the manifests of the
 * air-gapped catalog flow name real mirror repositories.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { Readable } from 'node:stream';
import { digestOf } from '../../src/oci/digest.js';
import { AuthStore } from '../../src/transports/registry/auth-file.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { airlockCliArgs, repoRoot } from '../helpers/airlock-process.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { makeSyntheticRelease, type SyntheticRelease } from '../fixtures/release-fixture.js';
import { fixtureFbcFiles, makeCatalogFixture, type CatalogFixture } from '../fixtures/catalog/catalog-fixture.js';
import { pushIndexImage } from '../fixtures/catalog/index-image.js';
import { pushImageSet } from '../fixtures/catalog/related-images.js';

interface Block {
  readonly line: number;
  readonly text: string;
}

/** The ```sh blocks of the document that the walkthrough runs (not preceded by the skip marker). */
export function runnableBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```sh') continue;
    const end = lines.indexOf('```', i + 1);
    assert.ok(end > i, `unterminated block at line ${i + 1}`);
    let prev = i - 1;
    while (prev >= 0 && lines[prev]!.trim() === '') prev--;
    if (lines[prev]?.trim() !== '<!-- walkthrough: skip -->') out.push({ line: i + 1, text: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return out;
}

function bash(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('docs/disconnected-install.md, run as written (loopback)', { timeout: 900_000 }, () => {
  let up: AirlockHandle;
  let mirror: AirlockHandle;
  let work: string;
  let rel: SyntheticRelease;
  let fx: CatalogFixture;
  let run: { code: number | null; stdout: string; stderr: string };
  const password = 'correct horse battery staple 42';

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-walkthrough-'));
    [up, mirror] = await Promise.all([startAirlock({ tls: true }), startAirlock({ auth: 'token' })]);
    rel = await makeSyntheticRelease({ registry: up.hostPort, count: 24 });
    fx = await makeCatalogFixture(up.hostPort);
    const hub = new RegistryHub({ insecure: () => true });
    try {
      for (const img of fx.images) await pushImageSet(hub.destination({ registry: up.hostPort, repository: img.repository }), img.set);
      await pushIndexImage(hub.destination({ registry: up.hostPort, repository: 'redhat/redhat-operator-index' }), { kind: 'fbc', files: fixtureFbcFiles(fx, stringify) }, { tag: 'v4.12' });
    } finally {
      await hub.close();
    }

    const bin = join(work, 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'airlock'), `#!/bin/sh\nexec ${[process.execPath, ...airlockCliArgs()].map((a) => `'${a}'`).join(' ')} "$@"\n`);
    await chmod(join(bin, 'airlock'), 0o755);
    const trust = join(work, 'trusted-cas.pem');
    await writeFile(trust, (await readFile(up.caCertPath!, 'utf8')) + (await readFile(mirror.security!.caCertPath, 'utf8')));
    // the Red Hat pull secret: entries for the upstream hosts (which here need no login)
    await writeFile(join(work, 'pull-secret'), JSON.stringify({ auths: { 'cloud.openshift.com': { auth: Buffer.from('rh:token').toString('base64'), email: 'you@example.com' }, [up.hostPort]: { auth: Buffer.from('rh:token').toString('base64') } } }));

    // What `oc get configmap imagestreamtag-to-image -o yaml` gives (section 10), naming upstream images:
    // ruby and nodejs are mirrored (--only), perl is not.
    const comp = rel.components;
    await writeFile(join(work, 'imagestreamtag-to-image.yaml'), stringify({
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: 'imagestreamtag-to-image', namespace: 'openshift-cluster-samples-operator' },
      data: {
        'ruby_2.7-ubi8': `${up.hostPort}/${rel.componentRepo}@${comp[0]!.digest}`,
        ruby_latest: `${up.hostPort}/${rel.releaseRepo}:${rel.tag}`,
        'nodejs_16-ubi8': `${up.hostPort}/${rel.componentRepo}@${comp[1]!.digest}`,
        'perl_5.30-ubi8': `${up.hostPort}/${rel.componentRepo}@${comp[2]!.digest}`,
      },
    }));

    const markdown = await readFile(join(repoRoot(), 'docs/disconnected-install.md'), 'utf8');
    const blocks = runnableBlocks(markdown);
    const script = ['set -euo pipefail', ...blocks.map((b) => `echo '### docs/disconnected-install.md line ${b.line}' >&2\n${b.text}`)].join('\n');
    const env: NodeJS.ProcessEnv = {
      PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: work,
      SSL_CERT_FILE: trust,
      AIRLOCK_DATA_DIR: mirror.dataDir,
      MIRROR_PASSWORD: password,
      OCP_RELEASE: '4.12.0',
      LOCAL_REGISTRY: mirror.hostPort,
      LOCAL_REPOSITORY: 'ocp4/openshift4',
      PRODUCT_REPO: 'openshift-release-dev',
      LOCAL_SECRET_JSON: join(work, 'pull-secret.json'),
      RELEASE_NAME: 'ocp-release',
      ARCHITECTURE: 'x86_64',
      REMOVABLE_MEDIA_PATH: join(work, 'media'),
      UPSTREAM_REGISTRY: up.hostPort,
      INDEX_IMAGE: `${up.hostPort}/redhat/redhat-operator-index:v4.12`,
      REG_CREDS: join(work, 'pull-secret.json'),
    };
    run = await bash(script, work, env);
  });
  after(async () => {
    await Promise.all([up?.close(), mirror?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('the document has runnable blocks for every section that talks to a registry', async () => {
    const blocks = runnableBlocks(await readFile(join(repoRoot(), 'docs/disconnected-install.md'), 'utf8'));
    const text = blocks.map((b) => b.text).join('\n');
    for (const cmd of ['airlock user add', 'airlock robot add', 'airlock login', 'airlock release mirror', 'airlock image mirror', 'airlock release extract', 'airlock catalog mirror', 'airlock samples mirror']) {
      assert.ok(text.includes(cmd), `a runnable block uses ${cmd}`);
    }
  });

  it('every runnable block succeeds', () => {
    assert.equal(run.code, 0, `stderr (last 3000 characters):\n${run.stderr.slice(-3000)}`);
  });

  it('the release and its components resolve in the mirror by digest, for the push account', async () => {
    const file = join(work, 'pull-secret.json');
    const hub = new RegistryHub({ auth: AuthStore.parse(file, await readFile(file, 'utf8')), caFile: join(work, 'trusted-cas.pem') });
    try {
      const dst = hub.destination({ registry: mirror.hostPort, repository: 'ocp4/openshift4' });
      assert.equal(await dst.resolveManifest('4.12.0-x86_64'), rel.digest);
      for (const c of rel.components) assert.equal(await dst.resolveManifest(c.digest), c.digest, c.name);
    } finally {
      await hub.close();
    }
  });

  it('the installer was extracted from the mirror, and the install-config mirrors name it', async () => {
    const installer = await readFile(join(work, 'openshift-install'), 'utf8');
    assert.match(installer, /openshift-install/);
    const mirrors = await readFile(join(work, 'install-config-mirrors.yaml'), 'utf8');
    assert.match(mirrors, new RegExp(`^imageContentSources:\\n- mirrors:\\n  - ${mirror.hostPort}/ocp4/openshift4\\n`));
  });

  it('the catalog: straight and air-gapped flows leave the index and its images in the mirror; --manifests-only names real mirror repositories', async () => {
    const straight = await readFile(join(work, 'manifests-catalog', 'mapping.txt'), 'utf8');
    assert.equal(straight.trim().split('\n').length, fx.images.length + 1);
    const cs = await readFile(join(work, 'manifests-airgap', 'catalogSource.yaml'), 'utf8');
    assert.match(cs, new RegExp(`image: ${mirror.hostPort}/olm-mirror/redhat-redhat-operator-index:v4\\.12`));
    const icsp = await readFile(join(work, 'manifests-airgap', 'imageContentSourcePolicy.yaml'), 'utf8');
    const mirrorsListed = [...icsp.matchAll(/^ {4}- (\S+)$/gm)].map((m) => m[1]!);
    assert.ok(mirrorsListed.length > 0, icsp);
    for (const m of mirrorsListed) assert.ok(m.startsWith(`${mirror.hostPort}/olm-mirror/`), `a real mirror location: ${m}`);
  });

  it('the cluster robot (its printed auths entry, as the pull secret) can pull the release but not push', async () => {
    const robot = await readFile(join(work, 'cluster-robot.txt'), 'utf8');
    const entry = robot.split('\n').find((l) => l.startsWith('{"auths":'));
    assert.ok(entry, robot.replace(/"auth":"[^"]*"/g, '"auth":"…"'));
    assert.deepEqual(Object.keys((JSON.parse(entry) as { auths: Record<string, unknown> }).auths), [mirror.hostPort], 'the entry names the mirror address');
    const hub = new RegistryHub({ auth: AuthStore.parse('cluster-robot.txt', entry), caFile: join(work, 'trusted-cas.pem') });
    try {
      const src = hub.source({ registry: mirror.hostPort, repository: 'ocp4/openshift4' });
      assert.equal((await src.getManifest('4.12.0-x86_64')).digest, rel.digest);
      const dst = hub.destination({ registry: mirror.hostPort, repository: 'ocp4/openshift4' });
      const bytes = Buffer.from('not allowed');
      await assert.rejects(dst.putBlob({ digest: digestOf(bytes), size: bytes.length }, Readable.from([bytes])), /denied|unauthorized|401|403/i);
    } finally {
      await hub.close();
    }
  });

  it('samples (§4.3.6): the chosen streams are in the mirror by digest; skippedImagestreams is exactly the rest', async () => {
    const cfg = parse(await readFile(join(work, 'samples-resources', 'samples-operator-config.yaml'), 'utf8')) as { kind: string; spec: { samplesRegistry: string; skippedImagestreams: string[] } };
    assert.equal(cfg.kind, 'Config');
    assert.equal(cfg.spec.samplesRegistry, `${mirror.hostPort}/samples`);
    assert.deepEqual(cfg.spec.skippedImagestreams, ['perl']);
    const file = join(work, 'pull-secret.json');
    const hub = new RegistryHub({ auth: AuthStore.parse(file, await readFile(file, 'utf8')), caFile: join(work, 'trusted-cas.pem') });
    try {
      const comps = hub.destination({ registry: mirror.hostPort, repository: `samples/${rel.componentRepo}` });
      for (const c of rel.components.slice(0, 2)) assert.equal(await comps.resolveManifest(c.digest), c.digest, c.name);
      assert.equal(await comps.resolveManifest(rel.components[2]!.digest), undefined, 'perl was not chosen');
      const release = hub.destination({ registry: mirror.hostPort, repository: `samples/${rel.releaseRepo}` });
      assert.equal(await release.resolveManifest(rel.tag), rel.digest, 'the by-tag entry keeps its digest');
    } finally {
      await hub.close();
    }
  });

  it('the mirror password is never printed', () => {
    assert.ok(!run.stdout.includes(password) && !run.stderr.includes(password));
  });
});
