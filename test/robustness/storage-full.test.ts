/**
 * Storage full (security issue #9, finding 7), on a real 8 MiB tmpfs the
 * test mounts as the data directory of an `airlock serve` process: a blob
 * larger than the space and a manifest the metadata database cannot hold
 * (SQLITE_FULL) both answer 503 UNAVAILABLE with Retry-After in the OCI
 * envelope, nothing of them becomes visible, /readyz turns 503 below
 * --min-free-space, one warning is logged when storage turns full and one
 * when it recovers, and after space is freed pushes work again.
 *
 * Mounting needs root; without it the test is skipped with the reason,
 * unless AIRLOCK_REQUIRE_PEERS is set (CI), where that is a failure.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAirlockProcess, type AirlockProcess } from '../helpers/airlock-process.js';
import { sendUntilAnswered, type RawResponse } from '../helpers/raw-http.js';
import { MT, RegistryClient, assertError, assertStatus, header, requireHeader, sha256, withQuery, type HttpResponse } from '../conformance/workflows.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const octet = { 'content-type': 'application/octet-stream' };

function assertStorageFull(status: number | undefined, headers: Record<string, string | string[] | undefined>, body: Buffer, what: string): void {
  assert.equal(status, 503, `${what}: expected 503, got ${status} ${body.toString().slice(0, 300)}`);
  assert.match(String(headers['retry-after'] ?? ''), /^\d+$/, `${what}: Retry-After`);
  const env = JSON.parse(body.toString('utf8')) as { errors: { code: string; message: string }[] };
  assert.equal(env.errors[0]?.code, 'UNAVAILABLE', `${what}: error code`);
  assert.match(env.errors[0]!.message, /^storage full: .+, free space and retry$/, `${what}: message`);
}

/** Polls `probe` until it returns true (at most `ms`). */
async function eventually(probe: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (await probe()) return;
    assert.ok(Date.now() < until, `${what} (waited ${ms} ms)`);
    await sleep(200);
  }
}

function metric(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

describe('storage full', { timeout: 180_000 }, () => {
  let mnt: string;
  let mounted = false;
  let skipReason = '';
  let proc: AirlockProcess | undefined;
  let http: RegistryClient | undefined;

  before(async () => {
    mnt = await mkdtemp(join(tmpdir(), 'airlock-full-'));
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m,mode=0700', 'tmpfs', mnt], { encoding: 'utf8' });
    mounted = r.status === 0;
    if (!mounted) {
      skipReason = `cannot mount an 8 MiB tmpfs (needs root): ${(r.stderr || r.error?.message || '').trim()}`;
      if (process.env.AIRLOCK_REQUIRE_PEERS) throw new Error(`${skipReason}; AIRLOCK_REQUIRE_PEERS is set`);
    }
  });
  after(async () => {
    await http?.close();
    await proc?.stop();
    if (mounted) spawnSync('umount', [mnt]);
    await rm(mnt, { recursive: true, force: true });
  });

  it('refuses with 503 UNAVAILABLE, shows nothing half-written, reports not-ready, and recovers once space is freed', async (t) => {
    if (!mounted) return t.skip(skipReason);
    proc = await startAirlockProcess({ dataDir: mnt, args: ['--no-gc', '--min-free-space', '2M'], logLevel: 'warn' });
    const c = new RegistryClient(proc.url);
    http = c;
    const repo = 'full/app';
    assertStatus(await c.request('GET', '/readyz'), 200, 'ready with the tmpfs nearly empty');

    // Small blobs for a manifest, pushed while there is room.
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
    const layer = randomBytes(4 * KiB);
    for (const b of [config, layer]) {
      const r = await c.request('POST', withQuery(`/v2/${repo}/blobs/uploads/`, { digest: sha256(b) }), { headers: octet, body: b });
      assertStatus(r, 201, 'small blob while there is room');
    }

    // 1. A blob larger than the filesystem.
    const big = randomBytes(12 * MiB);
    const start = await c.request('POST', `/v2/${repo}/blobs/uploads/`);
    assertStatus(start, 202);
    const loc = c.resolve(requireHeader(start, 'location'));
    const refused: RawResponse = await sendUntilAnswered(proc.port, 'PATCH', loc, { ...octet, 'content-length': String(big.length) }, big);
    assertStorageFull(refused.status, refused.headers, refused.body, 'PATCH of a blob larger than the storage');
    assertStatus(await c.request('HEAD', `/v2/${repo}/blobs/${sha256(big)}`), 404, 'no part of the refused blob is visible');
    const kept = await c.request('GET', loc);
    assertStatus(kept, 204, 'the session survives the refusal');
    t.diagnostic(`the session kept ${header(kept, 'range')} for a resume`);

    // 2. Not ready below --min-free-space.
    let ready: HttpResponse | undefined;
    await eventually(async () => (ready = await c.request('GET', '/readyz')).status === 503, 10_000, '/readyz should answer 503 with the storage full');
    assert.match(ready!.body.toString(), /"status":"storage full"/);

    // 3. A manifest the metadata database has no room for.
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: MT.ociManifest,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
      annotations: { padding: randomBytes(512 * KiB).toString('hex') },
    }));
    const put = await c.request('PUT', `/v2/${repo}/manifests/v1`, { headers: { 'content-type': MT.ociManifest }, body: manifest });
    assertStorageFull(put.status, put.headers, put.body, 'manifest PUT with the metadata database full');
    assertError(await c.request('GET', `/v2/${repo}/manifests/v1`), 404, ['MANIFEST_UNKNOWN'], 'the refused manifest must not be visible');

    const metrics = (await c.request('GET', '/metrics')).body.toString();
    assert.ok((metric(metrics, 'airlock_storage_full_refusals_total') ?? 0) >= 2, `refusals counted:\n${metrics}`);
    assert.ok((metric(metrics, 'airlock_storage_free_bytes') ?? Infinity) < 2 * MiB, 'free bytes gauge');
    assert.equal((proc.stdout().match(/"msg":"storage full: [^"]*"/g) ?? []).length, 1, `one warning when storage turns full:\n${proc.stdout()}`);
    assert.match(proc.stdout(), /"level":40[^\n]*"msg":"storage full: /);

    // 4. Free space: cancelling the session releases its bytes.
    assertStatus(await c.request('DELETE', loc), 204, 'cancel the partial upload');
    await eventually(async () => (await c.request('GET', '/readyz')).status === 200, 15_000, '/readyz should be 200 again once space is freed');
    await eventually(() => /"msg":"storage recovered: [^"]*"/.test(proc!.stdout()), 15_000, 'a warning when storage recovers');

    const again = await c.request('PUT', `/v2/${repo}/manifests/v1`, { headers: { 'content-type': MT.ociManifest }, body: manifest });
    assertStatus(again, 201, 'the manifest is accepted once there is room');
    const got = await c.request('GET', `/v2/${repo}/manifests/v1`, { headers: { accept: MT.ociManifest } });
    assertStatus(got, 200);
    assert.ok(got.body.equals(manifest), 'the manifest reads back byte-exact');
    const blob = randomBytes(1 * MiB);
    const pushed = await c.request('POST', withQuery(`/v2/${repo}/blobs/uploads/`, { digest: sha256(blob) }), { headers: octet, body: blob });
    assertStatus(pushed, 201, 'a blob push works again');
  });
});
