/**
 * Lifecycle of `airlock serve` as a child process: health, readiness and
 * metrics endpoints; SIGTERM draining in-flight uploads (they complete, new
 * connections are turned away, the process exits 0 and removes serve.pid);
 * and a second `serve` on a data directory already in use.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  deferred,
  freePort,
  pacedBody,
  runAirlockCli,
  startAirlockProcess,
  type AirlockProcess,
} from '../helpers/airlock-process.js';
import {
  RegistryClient,
  RegistryOps,
  assertStatus,
  header,
  requireHeader,
  sha256,
  withQuery,
  type HttpResponse,
} from '../conformance/workflows.js';

const KiB = 1024;
const MiB = 1024 * KiB;

const procs: AirlockProcess[] = [];
const dirs: string[] = [];

async function start(dataDir: string): Promise<AirlockProcess> {
  const p = await startAirlockProcess({ dataDir });
  procs.push(p);
  return p;
}

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'airlock-shutdown-'));
  dirs.push(d);
  return d;
}

after(async () => {
  for (const p of procs) {
    p.kill('SIGKILL');
    await p.exited;
  }
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

type Probe = { kind: 'refused' } | { kind: 'status'; status: number; body: string };

/** One GET on a fresh connection (no keep-alive pool), so it shows whether new connections are accepted. */
function probe(url: string, path: string): Promise<Probe> {
  return new Promise((resolveProbe, reject) => {
    const req = httpRequest(new URL(path, url), { method: 'GET', agent: false, headers: { connection: 'close' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolveProbe({ kind: 'status', status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNREFUSED' || e.code === 'ECONNRESET') resolveProbe({ kind: 'refused' });
      else reject(e);
    });
    req.end();
  });
}

function metricValue(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

describe('airlock serve lifecycle', { timeout: 120_000 }, () => {
  it('answers /healthz, /readyz and /metrics', async () => {
    const proc = await start(await tempDir());
    const http = new RegistryClient(proc.url);
    const ops = new RegistryOps(http);
    const blob = randomBytes(12_345);
    await ops.pushBlob('lifecycle/metrics', blob);

    const health = await http.request('GET', '/healthz');
    assertStatus(health, 200);
    assert.deepEqual(JSON.parse(health.body.toString('utf8')), { status: 'ok' });
    const ready = await http.request('GET', '/readyz');
    assertStatus(ready, 200);
    assert.deepEqual(JSON.parse(ready.body.toString('utf8')), { status: 'ready' });

    const metrics = await http.request('GET', '/metrics');
    assertStatus(metrics, 200);
    assert.match(header(metrics, 'content-type') ?? '', /^text\/plain/);
    const text = metrics.body.toString('utf8');
    assert.match(text, /^# TYPE airlock_http_requests_total counter$/m);
    assert.match(
      text,
      /^airlock_http_requests_total\{[^}]*method="PUT"[^}]*status="201"[^}]*\} 1$/m,
      'the blob PUT should be counted once as a 201',
    );
    assert.equal(metricValue(text, 'airlock_blobs'), 1, 'airlock_blobs after pushing one blob');
    assert.equal(metricValue(text, 'airlock_blob_bytes'), blob.length, 'airlock_blob_bytes after pushing one blob');
    const gcRuns = metricValue(text, 'airlock_gc_runs_total');
    assert.ok(gcRuns !== undefined && Number.isInteger(gcRuns) && gcRuns >= 0, `airlock_gc_runs_total missing or not a count:\n${text}`);

    await http.close();
    proc.kill('SIGINT');
    assert.deepEqual(await proc.exited, { code: 0, signal: null }, `exit after SIGINT; stderr: ${proc.stderr()}`);
    assert.ok(!existsSync(join(proc.dataDir, 'serve.pid')), 'serve.pid must be removed after SIGINT');
  });

  it('drains in-flight uploads on SIGTERM, refuses new work, exits 0 and removes serve.pid', async (t) => {
    const dataDir = await tempDir();
    const proc = await start(dataDir);
    assert.equal(readFileSync(join(dataDir, 'serve.pid'), 'utf8').trim(), String(proc.pid), 'serve.pid should name the server');
    const http = new RegistryClient(proc.url);
    const repo = 'lifecycle/drain';
    const gate = deferred();
    const octet = { 'content-type': 'application/octet-stream' };

    // A: chunked upload — first chunk acknowledged, the final PUT carries the rest slowly.
    const a = randomBytes(3 * MiB + 1234);
    const aDigest = sha256(a);
    const aStart = await http.request('POST', `/v2/${repo}/blobs/uploads/`);
    assertStatus(aStart, 202);
    const patch = await http.request('PATCH', http.resolve(requireHeader(aStart, 'location')), {
      headers: { ...octet, 'content-range': `0-${MiB - 1}`, 'content-length': String(MiB) },
      body: a.subarray(0, MiB),
    });
    assertStatus(patch, 202);
    const aRest = a.subarray(MiB);
    const aHeld = deferred();
    const aPut = http.request('PUT', withQuery(http.resolve(requireHeader(patch, 'location')), { digest: aDigest }), {
      headers: { ...octet, 'content-range': `${MiB}-${a.length - 1}`, 'content-length': String(aRest.length) },
      body: pacedBody(aRest, { pieceBytes: 32 * KiB, pauseMs: 5, holdAt: aRest.length >> 1, gate: gate.promise, onHold: () => aHeld.resolve() }),
    });

    // B: single POST ?digest= with a slow body.
    const b = randomBytes(2 * MiB + 99);
    const bDigest = sha256(b);
    const bHeld = deferred();
    const bPost = http.request('POST', withQuery(`/v2/${repo}/blobs/uploads/`, { digest: bDigest }), {
      headers: { ...octet, 'content-length': String(b.length) },
      body: pacedBody(b, { pieceBytes: 32 * KiB, pauseMs: 5, holdAt: b.length >> 2, gate: gate.promise, onHold: () => bHeld.resolve() }),
    });

    // Both bodies are part-sent (a request that fails early also ends the wait, and shows below).
    for (const [req, held] of [[aPut, aHeld], [bPost, bHeld]] as const) void req.then(() => held.resolve(), () => held.resolve());
    await Promise.all([aHeld.promise, bHeld.promise]);
    assert.ok(proc.running, 'the server died before SIGTERM');
    proc.kill('SIGTERM');

    // Draining: a new connection is refused, or /readyz answers 503.
    let seen: Probe | undefined;
    for (let i = 0; i < 500; i++) {
      const p = await probe(proc.url, '/readyz');
      if (p.kind === 'refused' || p.status === 503) {
        seen = p;
        break;
      }
      assert.equal(p.status, 200, `/readyz during shutdown: ${JSON.stringify(p)}`);
      await sleep(10);
    }
    assert.ok(seen !== undefined, 'after SIGTERM, new connections were still accepted and /readyz kept answering 200');
    t.diagnostic(`after SIGTERM a new connection got: ${seen.kind === 'refused' ? 'refused' : `${seen.status} ${seen.body}`}`);
    assert.ok(proc.running, 'the server exited with uploads still in flight');

    // The in-flight uploads finish.
    gate.resolve();
    const results: [string, HttpResponse, string][] = [
      ['chunked upload (final PUT in flight)', await aPut, aDigest],
      ['POST ?digest= (body in flight)', await bPost, bDigest],
    ];
    for (const [what, res, digest] of results) {
      assertStatus(res, 201, `${what} across SIGTERM`);
      assert.equal(header(res, 'docker-content-digest'), digest, `${what}: Docker-Content-Digest`);
      // A draining server must not invite the client to reuse the connection:
      // an idle keep-alive connection holds the shutdown until its timeout.
      assert.match(
        header(res, 'connection') ?? '',
        /\bclose\b/i,
        `${what}: a response sent while draining must carry Connection: close (got "${header(res, 'connection')}")`,
      );
    }

    const st = await proc.exited;
    assert.deepEqual(st, { code: 0, signal: null }, `exit after SIGTERM; stderr: ${proc.stderr()}`);
    assert.ok(!existsSync(join(dataDir, 'serve.pid')), 'serve.pid must be removed on a clean shutdown');
    await http.close();

    // The drained uploads are durable.
    const again = await start(dataDir);
    const http2 = new RegistryClient(again.url);
    for (const [data, digest] of [[a, aDigest], [b, bDigest]] as const) {
      const res = await http2.request('GET', `/v2/${repo}/blobs/${digest}`);
      assertStatus(res, 200, 'blob uploaded across SIGTERM, after a restart');
      assert.ok(res.body.equals(data), `${res.what}: bytes differ from the bytes pushed`);
    }
    await http2.close();
    assert.deepEqual(await again.stop(), { code: 0, signal: null });
  });

  it('refuses a second serve on a data directory in use, with exit code 2', async () => {
    const dataDir = await tempDir();
    const proc = await start(dataDir);
    const port = await freePort();
    const second = await runAirlockCli(['serve', '--insecure-http', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--log-level', 'warn']);
    assert.equal(second.code, 2, `second serve: exit code (stdout: ${second.stdout}; stderr: ${second.stderr})`);
    assert.doesNotMatch(second.stdout, /listening/, 'the second serve must not start listening');
    assert.match(second.stderr, /^error: /, 'one clear error line');
    assert.match(second.stderr, /in use/, second.stderr);
    assert.ok(second.stderr.includes(`pid ${proc.pid}`), `the message should name the running server's pid ${proc.pid}: ${second.stderr}`);
    assert.ok(second.stderr.includes(dataDir), `the message should name the data directory: ${second.stderr}`);
    assert.doesNotMatch(second.stderr, /^\s+at /m, 'no stack trace');
    assert.deepEqual(await probe(`http://127.0.0.1:${port}`, '/healthz'), { kind: 'refused' }, 'nothing may listen on the second port');

    // The first server is unaffected and still owns the directory.
    assert.equal(readFileSync(join(dataDir, 'serve.pid'), 'utf8').trim(), String(proc.pid));
    const health = await probe(proc.url, '/healthz');
    assert.equal(health.kind === 'status' ? health.status : 'refused', 200);
    assert.deepEqual(await proc.stop(), { code: 0, signal: null });
  });
});
