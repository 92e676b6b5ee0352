/** `airlock image info` on an OCI layout and on a registry (child process). */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { runAirlockCli, type CliResult } from '../helpers/airlock-process.js';
import { createCopyContext } from '../../src/copy/copy-context.js';
import { copyImage } from '../../src/copy/copy-image.js';
import { OciLayout } from '../../src/transports/oci-layout/layout.js';
import { OciLayoutSource } from '../../src/transports/oci-layout/layout-image.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { writeTinyImages, type TinyImage } from './support/tiny-images.js';

function run(args: string[], cwd: string): Promise<CliResult> {
  return runAirlockCli(args, { cwd, env: { HOME: cwd }, timeoutMs: 120_000 });
}

describe('airlock image info', () => {
  let work: string;
  let layout: string;
  let images: TinyImage[];
  let reg: AirlockHandle;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-info-'));
    layout = join(work, 'layout');
    images = await writeTinyImages(layout, 2);
    reg = await startAirlock();
    const hub = new RegistryHub({ insecure: () => true });
    await copyImage(createCopyContext(), new OciLayoutSource(await OciLayout.open(layout, { create: false })), 'img-1', [{ dst: hub.destination({ registry: reg.hostPort, repository: 'info/app' }), tag: 'v1' }]);
    await hub.close();
  });

  after(async () => {
    await reg?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('describes an image in an OCI layout: digest, platform, labels, layers with sizes', async () => {
    const r = await run(['image', 'info', `oci:${layout}:img-0`], work);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Digest: +${images[0]!.digest}$`, 'm'));
    assert.match(r.stdout, /^OS\/Arch: +linux\/amd64$/m);
    assert.match(r.stdout, /^ {2}i=0$/m);
    assert.match(r.stdout, /^Layers: +2 /m);
  });

  it('describes a registry image as JSON', async () => {
    const r = await run(['image', 'info', '--insecure', '-o', 'json', `${reg.hostPort}/info/app:v1`], work);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { digest: string; layers: { digest: string; size: number }[]; config: { labels: Record<string, string> } };
    assert.equal(doc.digest, images[1]!.digest);
    assert.deepEqual(doc.layers.map((l) => l.digest), images[1]!.blobs.slice(1));
    assert.deepEqual(doc.config.labels, { i: '1' });
  });

  it('says what is wrong with a reference or a missing image', async () => {
    let r = await run(['image', 'info', 'no-host/app:v1'], work);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no registry host/);
    r = await run(['image', 'info', '--insecure', `${reg.hostPort}/info/app:nope`], work);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /not found/);
  });
});
