/**
 * Stalled upload bodies (security issue #9, finding 4): a body that declares
 * more than it sends and goes silent is ended after the idle timeout, the
 * session keeps what arrived so the client can resume, and many stalled
 * uploads at once cost bounded memory in a real `airlock serve` process.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { startAirlockProcess, type AirlockProcess } from '../helpers/airlock-process.js';
import { holdRequest, type RawResponse } from '../helpers/raw-http.js';
import { RegistryClient, assertStatus, header, requireHeader, sha256, withQuery } from '../conformance/workflows.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const HUGE = String(5 * 1024 * MiB);
const octet = { 'content-type': 'application/octet-stream' };

/** The server's answer to a held request, failing if it keeps the connection open past `ms`. */
async function closedWithin(closed: Promise<RawResponse>, ms: number, what: string): Promise<RawResponse> {
  const r = await Promise.race([closed, sleep(ms).then(() => undefined)]);
  assert.ok(r, `${what}: the server still holds the stalled connection after ${ms} ms`);
  return r;
}

function assertStalledAnswer(r: RawResponse, what: string): { code: string; message: string } {
  assert.equal(r.status, 408, `${what}: expected 408 for a stalled body, got ${r.status} ${r.body.toString()}`);
  assert.match(r.headers.connection ?? '', /close/i, `${what}: the stalled connection must be closed`);
  const env = JSON.parse(r.body.toString('utf8')) as { errors: { code: string; message: string }[] };
  assert.equal(env.errors[0]?.code, 'BLOB_UPLOAD_INVALID', `${what}: OCI error envelope`);
  return env.errors[0]!;
}

describe('stalled upload bodies', { timeout: 120_000 }, () => {
  let h: AirlockHandle;
  let http: RegistryClient;
  before(async () => {
    h = await startAirlock({ config: { uploads: { idleTimeoutSeconds: 1 }, gc: { enabled: false } } });
    http = new RegistryClient(h.url);
  });
  after(async () => {
    await http?.close();
    await h?.close();
  });

  it('ends a PATCH that declares 5 GiB, sends 1 KiB and goes silent; the session keeps the 1 KiB and the client resumes', async () => {
    const repo = 'stall/patch';
    const blob = randomBytes(256 * KiB);
    const start = await http.request('POST', `/v2/${repo}/blobs/uploads/`);
    assertStatus(start, 202);
    const loc = http.resolve(requireHeader(start, 'location'));
    const held = holdRequest(h.registry.port, 'PATCH', loc, { ...octet, 'content-length': HUGE }, blob.subarray(0, KiB));
    await held.sent;
    const answer = await closedWithin(held.closed, 10_000, 'stalled PATCH');
    const err = assertStalledAnswer(answer, 'stalled PATCH');
    assert.equal(answer.headers.range, `0-${KiB - 1}`, 'the answer gives the offset to resume from');
    assert.match(err.message, /1024 bytes/);

    const status = await http.request('GET', loc);
    assertStatus(status, 204, 'upload status after the stall');
    assert.equal(header(status, 'range'), `0-${KiB - 1}`, 'the session reports the 1 KiB that arrived');

    const rest = blob.subarray(KiB);
    const patch = await http.request('PATCH', loc, {
      headers: { ...octet, 'content-range': `${KiB}-${blob.length - 1}`, 'content-length': String(rest.length) },
      body: rest,
    });
    assertStatus(patch, 202, 'resumed PATCH from the offset');
    const put = await http.request('PUT', withQuery(http.resolve(requireHeader(patch, 'location')), { digest: sha256(blob) }));
    assertStatus(put, 201, 'completing the resumed upload');
    const got = await http.request('GET', `/v2/${repo}/blobs/${sha256(blob)}`);
    assertStatus(got, 200);
    assert.ok(got.body.equals(blob), 'the resumed blob reads back byte-exact');
  });

  it('ends a stalled final PUT (the session keeps its bytes, no blob appears) and a stalled POST ?digest= (nothing stays)', async () => {
    const repo = 'stall/put';
    const blob = randomBytes(512 * KiB);
    const digest = sha256(blob);
    const start = await http.request('POST', `/v2/${repo}/blobs/uploads/`);
    const loc = http.resolve(requireHeader(start, 'location'));
    const held = holdRequest(h.registry.port, 'PUT', withQuery(loc, { digest }), { ...octet, 'content-length': String(blob.length) }, blob.subarray(0, 100 * KiB));
    await held.sent;
    assertStalledAnswer(await closedWithin(held.closed, 10_000, 'stalled PUT'), 'stalled PUT');
    assertStatus(await http.request('HEAD', `/v2/${repo}/blobs/${digest}`), 404, 'a stalled PUT must not commit a blob');
    assert.equal(header(await http.request('GET', loc), 'range'), `0-${100 * KiB - 1}`);
    const put = await http.request('PUT', withQuery(loc, { digest }), {
      headers: { ...octet, 'content-range': `${100 * KiB}-${blob.length - 1}`, 'content-length': String(blob.length - 100 * KiB) },
      body: blob.subarray(100 * KiB),
    });
    assertStatus(put, 201, 'the final PUT resumed from the offset');

    const uploadsDir = join(h.dataDir, 'storage', 'uploads');
    const before = new Set(await readdir(uploadsDir).catch(() => [] as string[]));
    const other = randomBytes(300 * KiB);
    const mono = holdRequest(h.registry.port, 'POST', withQuery(`/v2/${repo}/blobs/uploads/`, { digest: sha256(other) }), {
      ...octet,
      'content-length': String(other.length),
    }, other.subarray(0, 10 * KiB));
    await mono.sent;
    const err = assertStalledAnswer(await closedWithin(mono.closed, 10_000, 'stalled POST ?digest='), 'stalled POST ?digest=');
    assert.match(err.message, /send it again/);
    assertStatus(await http.request('HEAD', `/v2/${repo}/blobs/${sha256(other)}`), 404, 'a stalled single-request upload must not commit');
    const left = (await readdir(uploadsDir).catch(() => [] as string[])).filter((d) => !before.has(d));
    assert.deepEqual(left, [], 'the dropped single-request upload must not leave its session directory');
  });

  it('ends a manifest PUT whose body stalls, storing nothing', async () => {
    const held = holdRequest(h.registry.port, 'PUT', '/v2/stall/manifest/manifests/v1', {
      'content-type': 'application/vnd.oci.image.manifest.v1+json',
      'content-length': '2000',
    }, Buffer.from('{"schemaVersion":2,'));
    await held.sent;
    const r = await closedWithin(held.closed, 10_000, 'stalled manifest PUT');
    assert.equal(r.status, 408, `stalled manifest PUT: ${r.status} ${r.body.toString()}`);
    assert.equal((JSON.parse(r.body.toString()) as { errors: { code: string }[] }).errors[0]?.code, 'SIZE_INVALID');
    assertStatus(await http.request('GET', '/v2/stall/manifest/manifests/v1'), 404, 'nothing was stored');
  });
});

// ---------------------------------------------------------------------------
// Memory: 200 stalled uploads in a separate `airlock serve` process.
// ---------------------------------------------------------------------------

function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, `no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) * KiB;
}

describe('memory under 200 stalled uploads', { timeout: 300_000 }, () => {
  let proc: AirlockProcess | undefined;
  after(async () => {
    await proc?.stop();
  });

  it('stays bounded while they are held and falls back near the baseline once they are gone', async (t) => {
    const STALLED = 200;
    const EACH = 3 * MiB; // before pooling, each upload kept its two 4 MiB staging buffers: ≥ 600 MB here
    // The idle timeout is far away: the uploads stay held until the test lets them go.
    proc = await startAirlockProcess({ args: ['--no-gc', '--upload-idle-timeout', '600'] });
    const http = new RegistryClient(proc.url);
    try {
      const locations: string[] = [];
      for (let i = 0; i < STALLED; i++) {
        const start = await http.request('POST', `/v2/stall/memory-${i % 10}/blobs/uploads/`);
        assertStatus(start, 202);
        locations.push(http.resolve(requireHeader(start, 'location')));
      }
      const base = rssBytes(proc.pid);
      const body = randomBytes(EACH);
      const held = locations.map((loc) => holdRequest(proc!.port, 'PATCH', loc, { ...octet, 'content-length': HUGE }, body));
      await Promise.all(held.map((r) => r.sent));
      // Every stalled upload's bytes reach its session (they are not kept in memory)…
      let peak = rssBytes(proc.pid);
      const pending = new Set(locations);
      for (let round = 0; round < 120 && pending.size > 0; round++) {
        for (const loc of [...pending]) {
          if (header(await http.request('GET', loc), 'range') === `0-${EACH - 1}`) pending.delete(loc);
        }
        peak = Math.max(peak, rssBytes(proc.pid));
        if (pending.size > 0) await sleep(250);
      }
      assert.equal(pending.size, 0, `${pending.size} stalled uploads never reported their ${EACH} bytes`);
      for (let i = 0; i < 8; i++) {
        await sleep(250);
        peak = Math.max(peak, rssBytes(proc.pid));
      }
      const MB = 1e6;
      t.diagnostic(`RSS baseline ${(base / MB).toFixed(0)} MB, peak with ${STALLED} stalled uploads ${(peak / MB).toFixed(0)} MB`);
      assert.ok(peak - base < 400 * MB, `RSS grew by ${((peak - base) / MB).toFixed(0)} MB with ${STALLED} stalled uploads (bound 400 MB)`);
      // …and letting them go leaves nothing behind.
      for (const r of held) r.socket.destroy();
      await Promise.all(held.map((r) => r.closed));
      let last = rssBytes(proc.pid);
      for (let i = 0; i < 20 && last - base >= 250 * MB; i++) {
        await sleep(250);
        last = rssBytes(proc.pid);
      }
      t.diagnostic(`RSS after the clients left: ${(last / MB).toFixed(0)} MB`);
      assert.ok(last - base < 250 * MB, `RSS stayed ${((last - base) / MB).toFixed(0)} MB above the baseline after the stalled clients left`);
      assert.ok(last <= peak + 32 * MB, 'RSS kept growing after the clients left');
      assertStatus(await http.request('GET', '/v2/'), 200, 'the server still answers');
    } finally {
      await http.close();
    }
  });
});
