/**
 * Crash safety: airlock runs as a child process and is SIGKILLed while
 * requests are in flight, then restarted on the same data directory.
 *
 *  - 20 concurrent blob uploads (monolithic PUT, chunked PATCH, single POST
 *    ?digest=) of 2–8 MiB, most of them held mid-body when the kill lands:
 *    completed pushes read back byte-exact, interrupted blobs are invisible,
 *    every file under storage/blobs hashes to its name, and the interrupted
 *    blobs can be pushed again (chunked sessions resumed where they stopped).
 *  - a burst of manifest PUTs: each manifest is afterwards entirely present
 *    (exact bytes, by digest and by tag) or entirely absent.
 *
 * Sizes and cut points come from a seeded PRNG; the seed is printed as a
 * test diagnostic and can be replayed with AIRLOCK_CRASH_SEED=<n>.
 */
import { after, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  deferred,
  pacedBody,
  startAirlockProcess,
  type AirlockProcess,
  type Deferred,
  type PacedBodyOptions,
} from '../helpers/airlock-process.js';
import {
  MT,
  RegistryClient,
  RegistryOps,
  assertError,
  assertStatus,
  descriptor,
  header,
  requireHeader,
  sha256,
  withQuery,
  type PushedImage,
  type RequestBody,
} from '../conformance/workflows.js';

const KiB = 1024;
const MiB = 1024 * KiB;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function seedFor(t: TestContext): () => number {
  const env = process.env.AIRLOCK_CRASH_SEED;
  const seed = env !== undefined && /^\d+$/.test(env) ? Number(env) : randomInt(2 ** 31);
  t.diagnostic(`seed ${seed} (replay with AIRLOCK_CRASH_SEED=${seed})`);
  return mulberry32(seed);
}

// ---------------------------------------------------------------------------
// Process and data-directory bookkeeping
// ---------------------------------------------------------------------------

const procs: AirlockProcess[] = [];
const dirs: string[] = [];

async function start(dataDir: string): Promise<AirlockProcess> {
  const p = await startAirlockProcess({ dataDir });
  procs.push(p);
  return p;
}

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'airlock-crash-'));
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

// ---------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------

/** GET and HEAD of a blob in `repo`: 200, exact bytes, digest header and content digest. */
async function assertBlobReadsBack(http: RegistryClient, repo: string, digest: string, data: Buffer, what: string): Promise<void> {
  const head = await http.request('HEAD', `/v2/${repo}/blobs/${digest}`);
  assertStatus(head, 200, what);
  assert.equal(header(head, 'content-length'), String(data.length), `${what}: ${head.what}: Content-Length`);
  const get = await http.request('GET', `/v2/${repo}/blobs/${digest}`);
  assertStatus(get, 200, what);
  assert.equal(header(get, 'docker-content-digest'), digest, `${what}: ${get.what}: Docker-Content-Digest`);
  assert.equal(get.body.length, data.length, `${what}: ${get.what}: body length`);
  assert.equal(sha256(get.body), digest, `${what}: ${get.what}: the bytes served do not hash to the digest`);
  assert.ok(get.body.equals(data), `${what}: ${get.what}: the bytes served differ from the bytes pushed`);
}

async function assertBlobAbsent(http: RegistryClient, repo: string, digest: string, what: string): Promise<void> {
  const head = await http.request('HEAD', `/v2/${repo}/blobs/${digest}`);
  assertStatus(head, 404, `${what}: an interrupted upload must not be visible`);
  const get = await http.request('GET', `/v2/${repo}/blobs/${digest}`);
  assertError(get, 404, ['BLOB_UNKNOWN'], `${what}: an interrupted upload must not be visible`);
}

function blobFile(dataDir: string, digest: string): string {
  const hex = digest.slice('sha256:'.length);
  return join(dataDir, 'storage', 'blobs', 'sha256', hex.slice(0, 2), hex);
}

async function hashFile(path: string, algorithm: 'sha256' | 'sha512'): Promise<string> {
  const h = createHash(algorithm);
  for await (const chunk of createReadStream(path, { highWaterMark: MiB })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Walks <dataDir>/storage/blobs and hashes every file. Returns the digests
 * found and a list of problems (anything that is not a regular file at
 * <alg>/<hex[0:2]>/<hex> whose content hashes to <hex>).
 */
async function auditBlobTree(dataDir: string): Promise<{ digests: Set<string>; problems: string[] }> {
  const root = join(dataDir, 'storage', 'blobs');
  const digests = new Set<string>();
  const problems: string[] = [];
  if (!existsSync(root)) return { digests, problems };
  const hexLen = { sha256: 64, sha512: 128 } as const;
  for (const alg of await readdir(root)) {
    const algDir = join(root, alg);
    if (alg !== 'sha256' && alg !== 'sha512') {
      problems.push(`unexpected entry ${algDir}`);
      continue;
    }
    if (!(await lstat(algDir)).isDirectory()) {
      problems.push(`${algDir} is not a directory`);
      continue;
    }
    for (const prefix of await readdir(algDir)) {
      const prefixDir = join(algDir, prefix);
      if (!/^[0-9a-f]{2}$/.test(prefix) || !(await lstat(prefixDir)).isDirectory()) {
        problems.push(`unexpected entry ${prefixDir}`);
        continue;
      }
      for (const name of await readdir(prefixDir)) {
        const file = join(prefixDir, name);
        const st = await lstat(file);
        if (!st.isFile()) {
          problems.push(`${file} is not a regular file`);
          continue;
        }
        if (name.length !== hexLen[alg] || !/^[0-9a-f]+$/.test(name) || !name.startsWith(prefix)) {
          problems.push(`unexpected file name ${file}`);
          continue;
        }
        const actual = await hashFile(file, alg);
        if (actual !== name) problems.push(`${file} (${st.size} bytes) hashes to ${alg}:${actual}`);
        else digests.add(`${alg}:${name}`);
      }
    }
  }
  return { digests, problems };
}

async function assertBlobTreeSound(dataDir: string, what: string): Promise<Set<string>> {
  const { digests, problems } = await auditBlobTree(dataDir);
  assert.deepEqual(problems, [], `${what}: storage/blobs must hold only complete blobs named by their digest`);
  return digests;
}

// ---------------------------------------------------------------------------
// Blob pushes in three styles, with bodies built by the caller
// ---------------------------------------------------------------------------

type Kind = 'monolithic-put' | 'chunked-patch' | 'post-digest';
const KINDS: readonly Kind[] = ['monolithic-put', 'chunked-patch', 'post-digest'];
const CHUNK = 1 * MiB;

/** Builds the request body for data[start, end). */
type BodyFor = (start: number, end: number) => RequestBody;

const plainBody =
  (data: Buffer): BodyFor =>
  (start, end) =>
    data.subarray(start, end);

interface PushProgress {
  /** Upload session path (chunked and monolithic), once the POST answered. */
  location?: string;
  /** Bytes acknowledged by 202 PATCH answers. */
  acked: number;
}

async function pushBlobAs(
  http: RegistryClient,
  kind: Kind,
  repo: string,
  data: Buffer,
  digest: string,
  body: BodyFor,
  progress: PushProgress = { acked: 0 },
): Promise<void> {
  const octet = { 'content-type': 'application/octet-stream' };
  let done;
  if (kind === 'post-digest') {
    done = await http.request('POST', withQuery(`/v2/${repo}/blobs/uploads/`, { digest }), {
      headers: { ...octet, 'content-length': String(data.length) },
      body: body(0, data.length),
    });
  } else {
    const startRes = await http.request('POST', `/v2/${repo}/blobs/uploads/`);
    assertStatus(startRes, 202, `${kind} ${repo}: start upload`);
    let loc = http.resolve(requireHeader(startRes, 'location'));
    progress.location = loc;
    if (kind === 'monolithic-put') {
      done = await http.request('PUT', withQuery(loc, { digest }), {
        headers: { ...octet, 'content-length': String(data.length) },
        body: body(0, data.length),
      });
    } else {
      for (let off = progress.acked; off < data.length; off += CHUNK) {
        const end = Math.min(data.length, off + CHUNK);
        const patch = await http.request('PATCH', loc, {
          headers: { ...octet, 'content-range': `${off}-${end - 1}`, 'content-length': String(end - off) },
          body: body(off, end),
        });
        assertStatus(patch, 202, `${kind} ${repo}: chunk ${off}-${end - 1}`);
        assert.equal(header(patch, 'range'), `0-${end - 1}`, `${patch.what}: Range after chunk ${off}-${end - 1}`);
        loc = http.resolve(requireHeader(patch, 'location'));
        progress.location = loc;
        progress.acked = end;
      }
      done = await http.request('PUT', withQuery(loc, { digest }), { headers: { 'content-length': '0' }, body: null });
    }
  }
  assertStatus(done, 201, `${kind} ${repo}: finish upload`);
  assert.equal(header(done, 'docker-content-digest'), digest, `${done.what}: Docker-Content-Digest`);
}

interface CrashUpload {
  readonly i: number;
  readonly kind: Kind;
  readonly repo: string;
  readonly data: Buffer;
  readonly digest: string;
  /** Where the body stops until after the kill; undefined = sent in full before the kill. */
  readonly holdAt: number | undefined;
  readonly progress: PushProgress;
  /** Resolves when the body reached holdAt, or when the push settled. */
  readonly heldOrSettled: Deferred;
  outcome: 'running' | 'completed' | 'failed';
  error?: unknown;
  /** Whether the failure happened before the kill (then it is a registry bug). */
  failedBeforeKill?: boolean;
}

// ---------------------------------------------------------------------------

describe('SIGKILL during concurrent uploads', { timeout: 240_000 }, () => {
  it('keeps every completed push, exposes no interrupted blob, and accepts the interrupted blobs again', async (t) => {
    const rand = seedFor(t);
    const dataDir = await tempDir();
    const first = await start(dataDir);
    const http1 = new RegistryClient(first.url);
    const ops1 = new RegistryOps(http1);

    // 1. Content pushed completely before the storm: images (tags and digest-only) and plain blobs.
    const images: { image: PushedImage; tags: string[] }[] = [];
    for (let k = 0; k < 3; k++) {
      const tags = k === 2 ? [] : ['v1', `build-${k}`];
      const image = await ops1.pushImage(`crash/base-${k}`, tags, { docker: k === 1, layerSize: 64 * KiB + Math.floor(rand() * 512 * KiB) });
      images.push({ image, tags });
    }
    const plain: { repo: string; data: Buffer; digest: string }[] = [];
    for (let k = 0; k < 3; k++) {
      const data = randomBytes(1 + Math.floor(rand() * 300 * KiB));
      const repo = 'crash/plain';
      plain.push({ repo, data, digest: await ops1.pushBlob(repo, data) });
    }

    // 2. Twenty concurrent uploads; three in four are held mid-body until after the kill.
    const gate = deferred();
    let killed = false;
    const uploads: CrashUpload[] = [];
    for (let i = 0; i < 20; i++) {
      const size = 2 * MiB + Math.floor(rand() * 6 * MiB);
      const data = randomBytes(size);
      const held = i % 4 !== 0;
      uploads.push({
        i,
        kind: KINDS[i % KINDS.length]!,
        repo: `crash/up-${i}`,
        data,
        digest: sha256(data),
        holdAt: held ? Math.floor(size * (0.1 + 0.8 * rand())) : undefined,
        progress: { acked: 0 },
        heldOrSettled: deferred(),
        outcome: 'running',
      });
    }
    const paceFor = (u: CrashUpload): BodyFor => (start, end) => {
      const o: PacedBodyOptions = { pieceBytes: 64 * KiB, pauseMs: 2 + Math.floor(rand() * 6) };
      if (u.holdAt !== undefined && u.holdAt >= start && u.holdAt < end) {
        Object.assign(o, { holdAt: u.holdAt - start, gate: gate.promise, onHold: () => u.heldOrSettled.resolve(), afterGate: 'fail' });
      }
      return pacedBody(u.data.subarray(start, end), o);
    };
    const running = uploads.map(async (u) => {
      try {
        await pushBlobAs(http1, u.kind, u.repo, u.data, u.digest, paceFor(u), u.progress);
        u.outcome = 'completed';
      } catch (e) {
        u.outcome = 'failed';
        u.error = e;
        u.failedBeforeKill = !killed;
      } finally {
        u.heldOrSettled.resolve();
      }
    });

    // 3. Once every held upload sits at its cut point and the others are done: SIGKILL.
    await Promise.all(uploads.map((u) => u.heldOrSettled.promise));
    await sleep(100); // let the server take in the bytes already written to the sockets
    killed = true;
    first.kill('SIGKILL');
    const st = await first.exited;
    assert.equal(st.signal, 'SIGKILL', `the first server should have died of SIGKILL, got ${JSON.stringify(st)}`);
    gate.resolve();
    await Promise.all(running);
    await http1.close();

    const early = uploads.filter((u) => u.failedBeforeKill);
    assert.deepEqual(
      early.map((u) => `${u.kind} ${u.repo}: ${String(u.error)}`),
      [],
      'uploads failed before the kill (the registry misbehaved under concurrency)',
    );
    const interrupted = uploads.filter((u) => u.holdAt !== undefined);
    const completed = uploads.filter((u) => u.holdAt === undefined);
    for (const u of interrupted) assert.equal(u.outcome, 'failed', `${u.repo}: held mid-body, it cannot have completed`);
    for (const u of completed) assert.equal(u.outcome, 'completed', `${u.repo}: sent in full before the kill`);
    t.diagnostic(`${completed.length} uploads completed before the kill, ${interrupted.length} were cut mid-body`);

    // 4. Restart on the same data directory.
    const second = await start(dataDir);
    const http2 = new RegistryClient(second.url);
    const ops2 = new RegistryOps(http2);

    for (const { image, tags } of images) {
      await assertBlobReadsBack(http2, image.repo, image.configDesc.digest, image.config, `${image.repo} config`);
      await assertBlobReadsBack(http2, image.repo, image.layerDesc.digest, image.layer, `${image.repo} layer`);
      for (const ref of [image.manifestDigest, ...tags]) {
        const res = await ops2.getManifest(image.repo, ref);
        assertStatus(res, 200, `${image.repo}:${ref} pushed before the kill`);
        assert.equal(header(res, 'docker-content-digest'), image.manifestDigest, `${res.what}: Docker-Content-Digest`);
        assert.ok(res.body.equals(image.manifest), `${res.what}: manifest bytes differ from the ones pushed`);
      }
    }
    for (const p of plain) await assertBlobReadsBack(http2, p.repo, p.digest, p.data, `${p.repo} plain blob`);
    for (const u of completed) await assertBlobReadsBack(http2, u.repo, u.digest, u.data, `${u.kind} ${u.repo} (201 before the kill)`);
    for (const u of interrupted) {
      await assertBlobAbsent(http2, u.repo, u.digest, `${u.kind} ${u.repo} (cut at ${u.holdAt} of ${u.data.length})`);
      assert.ok(!existsSync(blobFile(dataDir, u.digest)), `${u.repo}: a file for the interrupted blob exists in storage/blobs`);
    }

    const onDisk = await assertBlobTreeSound(dataDir, 'after the restart');
    for (const u of completed) assert.ok(onDisk.has(u.digest), `${u.repo}: completed blob missing from storage/blobs`);
    for (const p of plain) assert.ok(onDisk.has(p.digest), `${p.repo}: blob missing from storage/blobs`);

    // 5. Push the interrupted blobs again. Chunked sessions with acknowledged
    //    chunks are resumed from the Range the registry reports; the rest start over.
    const resumed: string[] = [];
    for (let k = 0; k < interrupted.length; k += 5) {
      await Promise.all(
        interrupted.slice(k, k + 5).map(async (u) => {
          if (u.kind === 'chunked-patch' && u.progress.acked > 0 && u.progress.location !== undefined) {
            await resumeChunked(http2, u);
            resumed.push(u.repo);
          } else {
            await pushBlobAs(http2, u.kind, u.repo, u.data, u.digest, plainBody(u.data));
          }
          await assertBlobReadsBack(http2, u.repo, u.digest, u.data, `${u.kind} ${u.repo} pushed again after the restart`);
        }),
      );
    }
    t.diagnostic(`resumed chunked sessions: ${resumed.join(', ') || 'none'}`);

    const finalDisk = await assertBlobTreeSound(dataDir, 'after pushing the interrupted blobs again');
    for (const u of uploads) assert.ok(finalDisk.has(u.digest), `${u.repo}: blob missing from storage/blobs at the end`);

    await http2.close();
    const end = await second.stop();
    assert.deepEqual(end, { code: 0, signal: null }, `the restarted server should shut down cleanly; stderr: ${second.stderr()}`);
  });

  it('leaves every manifest of a PUT burst either fully present or absent', async (t) => {
    const rand = seedFor(t);
    const dataDir = await tempDir();
    const first = await start(dataDir);
    const http1 = new RegistryClient(first.url);
    const ops1 = new RegistryOps(http1);
    const repo = 'crash/burst';

    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
    const layer = randomBytes(32 * KiB);
    await ops1.pushBlob(repo, config);
    await ops1.pushBlob(repo, layer);

    interface BurstManifest {
      readonly i: number;
      readonly body: Buffer;
      readonly digest: string;
      readonly tag: string | undefined;
      readonly held: boolean;
      status?: number;
      error?: unknown;
      sentBeforeKill: boolean;
    }
    const manifests: BurstManifest[] = [];
    for (let i = 0; i < 48; i++) {
      const body = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MT.ociManifest,
          config: descriptor(MT.ociConfig, config),
          layers: [descriptor(MT.ociLayer, layer)],
          annotations: { 'org.example.i': String(i), 'org.example.pad': randomBytes(512 + Math.floor(rand() * 48 * KiB)).toString('hex') },
        }),
      );
      manifests.push({ i, body, digest: sha256(body), tag: i % 2 === 0 ? `t${i}` : undefined, held: i % 12 === 5, sentBeforeKill: false });
    }

    let killed = false;
    let created = 0;
    const gate = deferred();
    const killAfter = 12 + Math.floor(rand() * 12);
    const put = async (m: BurstManifest, body: RequestBody) => {
      m.sentBeforeKill = true;
      try {
        const res = await http1.request('PUT', `/v2/${repo}/manifests/${m.tag ?? m.digest}`, {
          headers: { 'content-type': MT.ociManifest, 'content-length': String(m.body.length) },
          body,
        });
        m.status = res.status;
        if (res.status === 201 && !killed && ++created === killAfter) {
          killed = true;
          first.kill('SIGKILL');
        }
      } catch (e) {
        m.error = e;
      }
    };

    // Held manifests stop half-way through their bodies; the rest go out 8 at a time.
    const heldReady = manifests.filter((m) => m.held).map(() => deferred());
    const heldPuts = manifests
      .filter((m) => m.held)
      .map((m, k) =>
        put(m, pacedBody(m.body, { pieceBytes: 4 * KiB, holdAt: m.body.length >> 1, gate: gate.promise, onHold: () => heldReady[k]!.resolve(), afterGate: 'fail' })),
      );
    await Promise.all(heldReady.map((d) => d.promise));
    const queue = manifests.filter((m) => !m.held);
    const workers = Array.from({ length: 8 }, async () => {
      for (let m = queue.shift(); m !== undefined && !killed; m = queue.shift()) await put(m, m.body);
    });
    await Promise.all(workers);
    if (!killed) {
      killed = true;
      first.kill('SIGKILL');
    }
    const st = await first.exited;
    assert.equal(st.signal, 'SIGKILL', `the first server should have died of SIGKILL, got ${JSON.stringify(st)}`);
    gate.resolve();
    await Promise.all(heldPuts);
    await http1.close();

    const acknowledged = manifests.filter((m) => m.status === 201);
    const unexpected = manifests.filter((m) => m.status !== undefined && m.status !== 201);
    assert.deepEqual(
      unexpected.map((m) => `manifest ${m.i}: status ${m.status}`),
      [],
      'manifest PUTs answered with something other than 201 before the kill',
    );
    assert.ok(acknowledged.length >= killAfter, `expected at least ${killAfter} manifests acknowledged before the kill`);
    t.diagnostic(
      `${acknowledged.length} manifests acknowledged, ${manifests.filter((m) => m.sentBeforeKill && m.status === undefined).length} in flight, ` +
        `${manifests.filter((m) => !m.sentBeforeKill).length} never sent`,
    );

    const second = await start(dataDir);
    const http2 = new RegistryClient(second.url);
    const ops2 = new RegistryOps(http2);
    const presentTags = new Set<string>();
    const absent: BurstManifest[] = [];
    for (const m of manifests) {
      const what = `manifest ${m.i} (${m.status === 201 ? '201 before the kill' : m.held ? 'held mid-body' : m.sentBeforeKill ? 'in flight' : 'never sent'})`;
      const byDigest = await ops2.getManifest(repo, m.digest);
      assertStatus(byDigest, [200, 404], what);
      if (byDigest.status === 200) {
        assert.equal(header(byDigest, 'content-type'), MT.ociManifest, `${what}: ${byDigest.what}: Content-Type`);
        assert.equal(header(byDigest, 'docker-content-digest'), m.digest, `${what}: ${byDigest.what}: Docker-Content-Digest`);
        assert.ok(byDigest.body.equals(m.body), `${what}: ${byDigest.what}: stored bytes differ from the bytes pushed`);
      } else {
        assertError(byDigest, 404, ['MANIFEST_UNKNOWN'], what);
      }
      let byTag: typeof byDigest | undefined;
      if (m.tag !== undefined) {
        byTag = await ops2.getManifest(repo, m.tag);
        assertStatus(byTag, [200, 404], what);
        // One PUT by tag stores the manifest and the tag together, or neither.
        assert.equal(byTag.status, byDigest.status, `${what}: half-stored: by tag ${byTag.status}, by digest ${byDigest.status}`);
        if (byTag.status === 200) {
          assert.ok(byTag.body.equals(m.body), `${what}: ${byTag.what}: the tag points at other bytes`);
          presentTags.add(m.tag);
        } else {
          assertError(byTag, 404, ['MANIFEST_UNKNOWN'], what);
        }
      }
      if (m.status === 201) {
        assert.equal(byDigest.status, 200, `${what}: acknowledged manifest lost`);
        if (byTag) assert.equal(byTag.status, 200, `${what}: acknowledged tag ${m.tag} lost`);
      }
      if (m.held || !m.sentBeforeKill) {
        assert.equal(byDigest.status, 404, `${what}: must not exist`);
        if (byTag) assert.equal(byTag.status, 404, `${what}: tag must not exist`);
      }
      if (byDigest.status === 404) absent.push(m);
    }
    const listed = await ops2.tags(repo);
    assert.deepEqual([...(listed.tags ?? [])].sort(), [...presentTags].sort(), 'tags/list must name exactly the tags that resolve');

    // The registry takes the lost manifests afterwards.
    for (const m of absent) {
      await ops2.pushManifest(repo, m.tag ?? m.digest, m.body, MT.ociManifest);
      const res = await ops2.getManifest(repo, m.digest);
      assertStatus(res, 200, `manifest ${m.i} pushed again`);
      assert.ok(res.body.equals(m.body), `${res.what}: bytes differ after pushing again`);
    }
    await http2.close();
    const end = await second.stop();
    assert.deepEqual(end, { code: 0, signal: null }, `the restarted server should shut down cleanly; stderr: ${second.stderr()}`);
  });
});

/**
 * Resumes an interrupted chunked session: GET its status, check the bytes
 * the registry reports received (at least what was acknowledged, at most
 * the blob), PATCH the rest from there, then PUT ?digest=.
 */
async function resumeChunked(http: RegistryClient, u: CrashUpload): Promise<void> {
  const loc = u.progress.location!;
  const status = await http.request('GET', loc);
  assertStatus(status, 204, `${u.repo}: status of the interrupted session`);
  const range = requireHeader(status, 'range');
  const m = /^0-(\d+)$/.exec(range);
  assert.ok(m, `${status.what}: malformed Range "${range}"`);
  const have = Number(m[1]) + 1;
  assert.ok(have >= u.progress.acked, `${status.what}: Range ${range} lost acknowledged bytes (${u.progress.acked} were acknowledged)`);
  assert.ok(have <= u.data.length, `${status.what}: Range ${range} exceeds the blob size ${u.data.length}`);
  let next = http.resolve(requireHeader(status, 'location'));
  if (have < u.data.length) {
    const patch = await http.request('PATCH', next, {
      headers: { 'content-type': 'application/octet-stream', 'content-range': `${have}-${u.data.length - 1}`, 'content-length': String(u.data.length - have) },
      body: u.data.subarray(have),
    });
    assertStatus(patch, 202, `${u.repo}: resume from ${have}`);
    next = http.resolve(requireHeader(patch, 'location'));
  }
  const done = await http.request('PUT', withQuery(next, { digest: u.digest }), { headers: { 'content-length': '0' }, body: null });
  assertStatus(done, 201, `${u.repo}: complete the resumed session (${have} bytes were on the server)`);
}
