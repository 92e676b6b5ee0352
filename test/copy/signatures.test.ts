/**
 * Signatures and referrers travel with the image: cosign-style tags
 * (sha256-<hex>.sig/.att) and a manifest whose `subject` is the image (found
 * through airlock's referrers API) are copied byte for byte, into airlock and
 * into docker-registry; --skip-signatures leaves them behind.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { runAirlockCli, type CliResult } from '../helpers/airlock-process.js';
import { dockerRegistryUnavailableReason, startDockerRegistry, type DockerRegistryHandle } from '../helpers/docker-registry.js';
import { headManifest } from '../interop/support/registry-api.js';
import { peerGate } from '../interop/support/peers.js';
import { createCopyContext } from '../../src/copy/copy-context.js';
import { copyImage } from '../../src/copy/copy-image.js';
import { digestOf, type Digest } from '../../src/oci/digest.js';
import { OciLayout } from '../../src/transports/oci-layout/layout.js';
import { OciLayoutSource } from '../../src/transports/oci-layout/layout-image.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import type { ImageDestination, RawManifest } from '../../src/transports/types.js';
import { writeTinyImages } from './support/tiny-images.js';

const gate = peerGate([dockerRegistryUnavailableReason()]);
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

async function putBlob(dst: ImageDestination, data: Buffer): Promise<{ digest: Digest; size: number }> {
  const b = { digest: digestOf(data), size: data.length };
  await dst.putBlob(b, Readable.from([data]));
  return b;
}

/** An artifact manifest (cosign-like or an SBOM) with one layer. */
async function artifact(dst: ImageDestination, layerType: string, payload: string, extra: Record<string, unknown>): Promise<RawManifest> {
  const config = await putBlob(dst, Buffer.from('{}'));
  const layer = await putBlob(dst, Buffer.from(payload));
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', ...config },
      layers: [{ mediaType: layerType, ...layer }],
      ...extra,
    }),
  );
  return { bytes, mediaType: OCI_MANIFEST, digest: digestOf(bytes) };
}

function run(args: string[], cwd: string): Promise<CliResult> {
  return runAirlockCli(args, { cwd, env: { HOME: cwd }, timeoutMs: 120_000 });
}

describe('signatures and referrers', { skip: gate.skip }, () => {
  if (gate.failure !== undefined) {
    it('has the peer tools it needs', () => assert.fail(gate.failure));
    return;
  }
  let work: string;
  let src: AirlockHandle;
  let b: AirlockHandle;
  let d: DockerRegistryHandle;
  let image: Digest;
  let sig: RawManifest;
  let att: RawManifest;
  let sbom: RawManifest;
  const prefix = (): string => image.replace(':', '-');

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-sigs-'));
    const imgs = await writeTinyImages(join(work, 'layout'), 1);
    [src, b, d] = await Promise.all([startAirlock(), startAirlock(), startDockerRegistry()]);
    const hub = new RegistryHub({ insecure: () => true });
    const dst = hub.destination({ registry: src.hostPort, repository: 'r/app' });
    const r = await copyImage(createCopyContext(), new OciLayoutSource(await OciLayout.open(join(work, 'layout'), { create: false })), imgs[0]!.ref, [{ dst, tag: 'v1' }]);
    image = r.sourceDigest;
    sig = await artifact(dst, 'application/vnd.dev.cosign.simplesigning.v1+json', `{"critical":{"image":{"docker-manifest-digest":"${image}"}}}`, {
      annotations: { 'dev.cosignproject.cosign/signature': 'MEUCIQ==' },
    });
    await dst.putManifest(sig, { tag: `${prefix()}.sig` });
    att = await artifact(dst, 'application/vnd.dsse.envelope.v1+json', '{"payloadType":"application/vnd.in-toto+json"}', {});
    await dst.putManifest(att, { tag: `${prefix()}.att` });
    sbom = await artifact(dst, 'application/spdx+json', '{"spdxVersion":"SPDX-2.3"}', {
      artifactType: 'application/spdx+json',
      subject: { mediaType: OCI_MANIFEST, digest: image, size: (await hub.source({ registry: src.hostPort, repository: 'r/app' }).getManifest('v1')).bytes.length },
    });
    await dst.putManifest(sbom, {});
    await hub.close();
  });

  after(async () => {
    await Promise.all([src?.close(), b?.close(), d?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('copies cosign tags and referrers into airlock and docker-registry, digests unchanged', async () => {
    const r = await run(['image', 'mirror', '--insecure', '-o', 'json', `${src.hostPort}/r/app:v1`, `${b.hostPort}/m/app`, `${d.hostPort}/m/app`], work);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { images: unknown[]; attachments: number };
    assert.equal(doc.images.length, 2, 'one line per requested destination');
    assert.equal(doc.attachments, 3);
    for (const reg of [b.url, d.url]) {
      assert.equal((await headManifest(reg, 'm/app', `${prefix()}.sig`)).digest, sig.digest);
      assert.equal((await headManifest(reg, 'm/app', `${prefix()}.att`)).digest, att.digest);
      assert.equal((await headManifest(reg, 'm/app', sbom.digest)).digest, sbom.digest, 'the referrer is there by digest');
    }
    const referrers = (await (await fetch(`${b.url}/v2/m/app/referrers/${image}`)).json()) as { manifests: { digest: string; artifactType?: string }[] };
    assert.deepEqual(referrers.manifests.map((m) => [m.digest, m.artifactType]), [[sbom.digest, 'application/spdx+json']]);
  });

  it('a re-run says the attachments are already there, not that they were copied', async () => {
    const r = await run(['image', 'mirror', '--insecure', `${src.hostPort}/r/app:v1`, `${b.hostPort}/m/app`, `${d.hostPort}/m/app`], work);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /copied along/, r.stderr);
    assert.match(r.stderr, /info: 3 signatures, attestations and referrers already present\n/);
    const j = JSON.parse((await run(['image', 'mirror', '--insecure', '-o', 'json', `${src.hostPort}/r/app:v1`, `${b.hostPort}/m/app`], work)).stdout) as { attachments: number; attachmentsPresent: number };
    assert.deepEqual([j.attachments, j.attachmentsPresent], [0, 3]);
  });

  it('--skip-signatures leaves them behind', async () => {
    const r = await run(['image', 'mirror', '--insecure', '--skip-signatures', `${src.hostPort}/r/app:v1`, `${b.hostPort}/bare/app`], work);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await headManifest(b.url, 'bare/app', 'v1')).digest, image);
    assert.equal((await headManifest(b.url, 'bare/app', `${prefix()}.sig`)).status, 404);
    assert.equal((await headManifest(b.url, 'bare/app', sbom.digest)).status, 404);
  });
});
