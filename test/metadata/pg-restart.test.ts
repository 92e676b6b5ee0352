/**
 * PostgreSQL restarted under a running `airlock serve --metadata`: a
 * PostgreSQL of the test's own (scripts/services/pg-up.sh on a free port
 * and a temporary directory) is stopped and started again on the same data.
 * While it is down /readyz answers 503 and a push gets 503 UNAVAILABLE
 * with one line, no stack trace; once it is back /readyz is 200 again without
 * restarting airlock, what was pushed before reads back byte for byte, and
 * pushes work.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { freePort, repoRoot, startAirlockProcess, type AirlockProcess } from '../helpers/airlock-process.js';
import { peerGate } from '../interop/support/peers.js';

const run = promisify(execFile);
const gate = peerGate([existsSync('/usr/lib/postgresql/15/bin/initdb') && process.getuid?.() === 0 ? undefined : 'PostgreSQL 15 binaries, as root (apt-get install postgresql)']);
const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const MT = 'application/vnd.oci.image.manifest.v1+json';

async function push(base: string, repo: string, tag: string): Promise<{ status: number; body: string; digest: string }> {
  const blob = randomBytes(4096);
  const b = await fetch(`${base}/v2/${repo}/blobs/uploads/?digest=${sha(blob)}`, { method: 'POST', body: blob, headers: { 'content-type': 'application/octet-stream' } });
  if (b.status !== 201) return { status: b.status, body: await b.text(), digest: '' };
  const m = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(blob), size: blob.length }, layers: [] }));
  const r = await fetch(`${base}/v2/${repo}/manifests/${tag}`, { method: 'PUT', body: m, headers: { 'content-type': MT } });
  return { status: r.status, body: await r.text(), digest: sha(m) };
}

describe('airlock serve --metadata across a PostgreSQL restart', { skip: gate.skip }, () => {
  if (gate.failure !== undefined) {
    it('has PostgreSQL 15', () => assert.fail(gate.failure));
    return;
  }
  let dir: string;
  let env: Record<string, string>;
  let reg: AirlockProcess | undefined;
  const script = (name: string, extra: Record<string, string> = {}) =>
    run(join(repoRoot(), 'scripts/services', name), [], { env: { ...process.env, ...env, ...extra } });
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-pg-restart-'));
    await chmod(dir, 0o711); // the postgres user must reach its data directory below
    env = { AIRLOCK_PG_DIR: join(dir, 'pg'), AIRLOCK_PG_PORT: String(await freePort()) };
  });
  after(async () => {
    await reg?.stop();
    await script('pg-down.sh').catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('is not ready while PostgreSQL is down, recovers by itself, and loses nothing', async () => {
    const url = /AIRLOCK_TEST_PG_URL=(\S+)/.exec((await script('pg-up.sh')).stdout)![1]!;
    reg = await startAirlockProcess({ args: ['--no-auth', '--no-gc', '--metadata', url] });
    const first = await push(reg.url, 'restart/app', 'v1');
    assert.equal(first.status, 201, first.body);
    assert.equal((await fetch(`${reg.url}/readyz`)).status, 200);

    await script('pg-down.sh', { AIRLOCK_PG_KEEP: '1' });
    const down = await fetch(`${reg.url}/readyz`);
    assert.equal(down.status, 503);
    assert.deepEqual(await down.json(), { status: 'metadata store unavailable' });
    const refused = await push(reg.url, 'restart/app', 'v2');
    assert.equal(refused.status, 503, `a push while PostgreSQL is down: ${refused.body}`);
    const err = JSON.parse(refused.body) as { errors: { code: string; message: string }[] };
    assert.equal(err.errors[0]!.code, 'UNAVAILABLE');
    assert.match(err.errors[0]!.message, /metadata store is unavailable: PostgreSQL: .*retry later/);
    assert.doesNotMatch(refused.body, /\n\s+at /, 'no stack trace in the answer');

    await script('pg-up.sh');
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (await fetch(`${reg.url}/readyz`)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, 200, '/readyz is 200 again without restarting airlock');
    const back = await fetch(`${reg.url}/v2/restart/app/manifests/v1`, { headers: { accept: MT } });
    assert.equal(back.status, 200);
    assert.equal(sha(Buffer.from(await back.arrayBuffer())), first.digest, 'the manifest pushed before the restart reads back');
    const again = await push(reg.url, 'restart/app', 'v2');
    assert.equal(again.status, 201, again.body);
    const tags = (await (await fetch(`${reg.url}/v2/restart/app/tags/list`)).json()) as { tags: string[] };
    assert.deepEqual(tags.tags, ['v1', 'v2']);
  });
});
