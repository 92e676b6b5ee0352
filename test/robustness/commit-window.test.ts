/**
 * Crash safety of the batched commit (docs/durability.md): airlock runs with
 * a long SQLite commit window (AIRLOCK_COMMIT_WINDOW_MS=150), so many blob
 * commits wait in one window for their shared WAL fdatasync, and is SIGKILLed
 * while uploads are still waiting. After a restart on the same data
 * directory every blob that was answered 201 reads back byte-exact, and no
 * blob that was not acknowledged is visible with wrong bytes.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAirlockProcess, type AirlockProcess } from '../helpers/airlock-process.js';

const procs: AirlockProcess[] = [];
const dirs: string[] = [];

after(async () => {
  for (const p of procs) {
    p.kill('SIGKILL');
    await p.exited;
  }
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function start(dataDir: string): Promise<AirlockProcess> {
  const p = await startAirlockProcess({ dataDir, env: { AIRLOCK_COMMIT_WINDOW_MS: '150' } });
  procs.push(p);
  return p;
}

/** Single-request upload (POST ?digest= with the body): the HTTP status, or 0 when the connection died. */
async function push(url: string, repo: string, data: Buffer): Promise<number> {
  try {
    const r = await fetch(`${url}/v2/${repo}/blobs/uploads/?digest=${sha256(data)}`, {
      method: 'POST',
      body: data,
      headers: { 'content-type': 'application/octet-stream' },
    });
    await r.arrayBuffer();
    return r.status;
  } catch {
    return 0;
  }
}

describe('SIGKILL during a batched commit window', { timeout: 120_000 }, () => {
  it('loses no acknowledged blob', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airlock-window-'));
    dirs.push(dir);
    const dataDir = join(dir, 'data');
    const srv = await start(dataDir);
    const blobs = Array.from({ length: 40 }, (_, i) => randomBytes(4096 + i * 97));
    const acked = new Set<number>();
    const settled = new Set<number>();
    let firstAck!: () => void;
    const gotFirst = new Promise<void>((r) => (firstAck = r));
    // The first wave is acknowledged (one window), then a second wave is sent and the
    // kill lands while it waits in its window.
    const wave = (from: number, to: number): Promise<void>[] =>
      blobs.slice(from, to).map(async (b, k) => {
        const i = from + k;
        const status = await push(srv.url, `win/r${i % 4}`, b);
        settled.add(i);
        if (status === 201) {
          acked.add(i);
          firstAck();
        }
      });
    const first = wave(0, 20);
    await gotFirst;
    await Promise.all(first);
    const second = wave(20, 40);
    // Well inside the 150 ms window of the second wave's commits.
    await new Promise((r) => setTimeout(r, 60));
    srv.kill('SIGKILL');
    await srv.exited;
    await Promise.all(second);
    assert.ok(acked.size >= 20, `the first wave was acknowledged (${acked.size} of 40)`);
    assert.ok(acked.size < 40, 'the kill landed while some commits still waited in their window (else the test proves nothing)');

    const again = await start(dataDir);
    for (const i of acked) {
      const repo = `win/r${i % 4}`;
      const d = sha256(blobs[i]!);
      const r = await fetch(`${again.url}/v2/${repo}/blobs/${d}`);
      assert.equal(r.status, 200, `acknowledged blob ${i} (${d}) must survive the kill`);
      const body = Buffer.from(await r.arrayBuffer());
      assert.ok(body.equals(blobs[i]!), `acknowledged blob ${i}: bytes differ`);
    }
    // A blob not acknowledged is either complete or absent, never partial.
    for (let i = 0; i < blobs.length; i++) {
      if (acked.has(i)) continue;
      const r = await fetch(`${again.url}/v2/win/r${i % 4}/blobs/${sha256(blobs[i]!)}`);
      const body = Buffer.from(await r.arrayBuffer());
      if (r.status === 200) assert.ok(body.equals(blobs[i]!), `unacknowledged blob ${i} is visible with wrong bytes`);
      else assert.equal(r.status, 404, `unacknowledged blob ${i}: 200 or 404`);
    }
    await again.stop({ keepDataDir: true });
  });
});
