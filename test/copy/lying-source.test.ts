/**
 * `airlock image mirror` (a real child process) from a source that lies, as
 * an attacker or a broken proxy would (support/lying-registry.ts): wrong bytes
 * of the right length, a body cut short (Content-Length larger than what is
 * sent, then the connection closed), a connection reset mid-body, more bytes
 * than the descriptor's size, junk after the declared Content-Length; for a
 * config blob under 1 KB, a 50 KB layer and a 5 MiB layer; and lying
 * manifests (another manifest or truncated JSON when pulled by digest,
 * truncated JSON or a cut body by tag). Into airlock's registry, oc's file://
 * disk store (--dir) and an OCI layout.
 *
 * A lie told once is retried and the mirror succeeds with exact digests. A
 * lie told every time fails that image: exit status 1, ONE error line naming
 * the image, the blob (or manifest) and the cause, no stack trace, nothing
 * corrupt at the destination (disk: every file under blobs/ hashes to its
 * name, no temporary file left; registry: the blob absent or correct, the
 * manifest absent); with --continue-on-error every other image is mirrored.
 *
 * Each run mirrors many images at once (one CLI process per scenario and
 * destination keeps the suite fast); each image lies about one thing, with
 * blobs of its own where it lies.
 *
 * Before the fix, lies about small blobs crashed the CLI with "Unhandled
 * 'error' event" (the verifying stream failed before the destination
 * listened to it) and no retry; the next image was never mirrored.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seeded } from '../fixtures/release-fixture-images.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { runAirlockCli, type CliResult } from '../helpers/airlock-process.js';
import { checkOciLayoutRef } from '../interop/support/disk-check.js';
import { checkImageTree, getBlob, headManifest, sha256 } from '../interop/support/registry-api.js';
import { createCopyContext } from '../../src/copy/copy-context.js';
import { copyImage } from '../../src/copy/copy-image.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { blobProblems, fileStoreImageProblems, listTree } from './support/disk-audit.js';
import { startLyingRegistry, type Lie, type LyingRegistry, type ServedImage } from './support/lying-registry.js';

/** 3 attempts, about 1 ms apart: a persistent lie fails fast. */
const RETRY_FLAGS = ['--retry-times', '2', '--retry-delay', '1ms'];
const ATTEMPTS = 3;

const BASE_50K = seeded('lying-source-50k', 50_000);
const BASE_5M = seeded('lying-source-5m', 5 << 20);
const variants = new Map<string, Buffer>();
/** A blob of its own: `base` with `name` written over its start (one copy per name and size, shared by the runs). */
const variant = (base: Buffer, name: string): Buffer => {
  const key = `${base.length}/${name}`;
  let b = variants.get(key);
  if (b === undefined) {
    b = Buffer.from(base);
    b.write(`${name}\n`, 0, 'latin1');
    variants.set(key, b);
  }
  return b;
};
const configOf = (name: string): Buffer => Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: { Labels: { image: name } } }));
/** Honest blobs shared by the images that lie about something else. */
const SHARED_50K = variant(BASE_50K, 'shared');
const SHARED_5M = variant(BASE_5M, 'shared');

const SIZES = [
  { size: 'config', index: 0 },
  { size: '50k', index: 1 },
  { size: '5m', index: 2 },
] as const;
type Size = (typeof SIZES)[number]['size'];

const DESTS = ['registry', 'file', 'oci'] as const;
type Dest = (typeof DESTS)[number];

/** Blob lies and how a persistent one must be reported. */
const BLOB_LIES: { lie: Lie; cause: RegExp }[] = [
  { lie: 'wrong-bytes', cause: /: content hashes to sha256:[0-9a-f]{64}$/ },
  { lie: 'short', cause: /: the source failed after \d+ of \d+ bytes: (other side closed|.*ECONNRESET)/ },
  { lie: 'drop', cause: /: the source failed after \d+ of \d+ bytes: (other side closed|.*ECONNRESET)/ },
  { lie: 'extra', cause: /: more than the expected \d+ bytes$/ },
];

/** Manifest lies and how a persistent one must be reported. */
const MANIFEST_LIES: { name: string; lie: Lie; byDigest: boolean; cause: RegExp }[] = [
  { name: 'm-truncated-tag', lie: 'truncate-json', byDigest: false, cause: /manifest v1: Docker-Content-Digest sha256:[0-9a-f]{64} but the bytes hash to sha256:[0-9a-f]{64}$/ },
  { name: 'm-short-tag', lie: 'short', byDigest: false, cause: /manifest v1: the body broke off after \d+ bytes: other side closed/ },
  { name: 'm-other-digest', lie: 'other-manifest', byDigest: true, cause: /manifest sha256:[0-9a-f]{64}: the bytes hash to sha256:[0-9a-f]{64}$/ },
  { name: 'm-truncated-digest', lie: 'truncate-json', byDigest: true, cause: /manifest sha256:[0-9a-f]{64}: the bytes hash to sha256:[0-9a-f]{64}$/ },
];

const STACK = /Unhandled|node:events|node:internal|^\s+at /m;
const ERROR_SUMMARY = /^error: one or more errors occurred while mirroring images$/m;

/** An image of a run, and what must become of it. */
interface Planned {
  readonly name: string;
  readonly img: ServedImage;
  readonly byDigest: boolean;
  /** Undefined: must be mirrored. Otherwise the one error line must contain `names` and match `cause`. */
  readonly failure?: { readonly names: string; readonly cause: RegExp };
}

interface Run {
  readonly r: CliResult;
  readonly reg: LyingRegistry;
  readonly dest: Dest;
  readonly id: number;
  readonly dir: string;
  readonly images: readonly Planned[];
}

describe('image mirror from a lying source', { concurrency: 4 }, () => {
  let work: string;
  let air: AirlockHandle;
  let n = 0;
  const liars: LyingRegistry[] = [];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-lying-'));
    air = await startAirlock();
  });
  after(async () => {
    await Promise.all(liars.map((l) => l.close()));
    await air?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const diskRoot = (run: Pick<Run, 'dir' | 'dest'>): string => join(run.dir, run.dest === 'file' ? 'disk' : 'layout');
  const repoOf = (run: Pick<Run, 'id'>, name: string): string => `case-${run.id}/${name}`;
  const label = (reg: LyingRegistry, p: Pick<Planned, 'name' | 'img' | 'byDigest'>): string => `${reg.hostPort}/lab/${p.name}${p.byDigest ? `@${p.img.digest}` : ':v1'}`;

  /**
   * Starts a liar, lets `plan` add images (lab/<name>:v1) and lies, then
   * mirrors all of them in one CLI run (a mapping file, in plan order) to
   * case-<id>/<name>:v1 (registry, file store) or <layout>:<name>.
   */
  const mirrorRun = async (dest: Dest, plan: (reg: LyingRegistry) => Planned[], flags: readonly string[] = []): Promise<Run> => {
    const id = ++n;
    const dir = join(work, `case-${id}`);
    await mkdir(dir);
    const reg = await startLyingRegistry();
    liars.push(reg);
    const images = plan(reg);
    const to = (name: string): string =>
      dest === 'registry' ? `${air.hostPort}/${repoOf({ id }, name)}:v1` : dest === 'file' ? `file://${repoOf({ id }, name)}:v1` : `oci:${join(dir, 'layout')}:${name}`;
    const mapping = join(dir, 'mapping.txt');
    await writeFile(mapping, images.map((p) => `${label(reg, p)}=${to(p.name)}\n`).join(''));
    const r = await runAirlockCli(['image', 'mirror', '--insecure', '--no-progress', ...RETRY_FLAGS, ...flags, '--dir', join(dir, 'disk'), '-f', mapping], {
      cwd: dir,
      env: { HOME: dir },
      timeoutMs: 120_000,
    });
    return { r, reg, dest, id, dir, images };
  };

  const output = (run: Run): string => `\nstdout: ${run.r.stdout}\nstderr: ${run.r.stderr}`;

  /** Everything the run must show, image by image, on stdout/stderr and at the destination. */
  const assertOutcome = async (run: Run): Promise<void> => {
    const { r, reg } = run;
    assert.doesNotMatch(r.stderr, STACK, `no stack trace${output(run)}`);
    const failing = run.images.filter((p) => p.failure !== undefined);
    assert.equal(r.code, failing.length > 0 ? 1 : 0, `exit status${output(run)}`);
    if (failing.length > 0) assert.match(r.stderr, ERROR_SUMMARY);
    const errorLines = r.stderr.split('\n').filter((l) => l.startsWith('error: ') && !ERROR_SUMMARY.test(l));
    assert.equal(errorLines.length, failing.length, `one error line per failed image${output(run)}`);
    const mirrored = r.stdout.split('\n').filter((l) => l !== '');
    assert.equal(mirrored.length, run.images.length - failing.length, `one stdout line per mirrored image${output(run)}`);

    for (const p of run.images) {
      const repo = repoOf(run, p.name);
      const blobs = p.img.blobs.map((b) => b.digest);
      if (p.failure === undefined) {
        assert.ok(mirrored.some((l) => l.startsWith(`${p.img.digest} `)), `${p.name} is reported mirrored${output(run)}`);
        if (run.dest === 'registry') {
          assert.equal((await headManifest(air.url, repo, 'v1')).digest, p.img.digest, p.name);
          assert.deepEqual(await checkImageTree(air.url, repo, p.img.digest), [], p.name);
          for (const d of blobs) assert.equal(sha256((await getBlob(air.url, repo, d)).body), d, `${p.name} ${d}`);
        } else if (run.dest === 'file') {
          assert.deepEqual(await fileStoreImageProblems(diskRoot(run), repo, 'v1', p.img.digest, blobs), [], p.name);
        } else {
          assert.deepEqual(await checkOciLayoutRef(diskRoot(run), p.name, p.img.digest), [], p.name);
        }
        continue;
      }
      const lines = errorLines.filter((l) => l.startsWith(`error: ${label(reg, p)}: `));
      assert.equal(lines.length, 1, `one error line names ${label(reg, p)}${output(run)}`);
      assert.ok(lines[0]!.includes(p.failure.names), `the line names ${p.failure.names}: ${lines[0]}`);
      assert.match(lines[0]!, p.failure.cause);
      assert.ok(!mirrored.some((l) => l.startsWith(`${p.img.digest} `)), `${p.name} is not reported mirrored`);
      if (run.dest === 'registry') {
        assert.equal((await headManifest(air.url, repo, 'v1')).status, 404, `no manifest for ${p.name}`);
        for (const d of blobs) {
          const got = await getBlob(air.url, repo, d);
          assert.ok(got.status === 404 || (got.status === 200 && sha256(got.body) === d), `${p.name}: blob ${d} absent or correct (HTTP ${got.status})`);
        }
      } else if (run.dest === 'file') {
        await assert.rejects(lstat(join(diskRoot(run), 'v2', ...repo.split('/'), 'manifests', 'v1')), `no tag for ${p.name}`);
      } else {
        const index = await readFile(join(diskRoot(run), 'index.json'), 'utf8').catch(() => '');
        assert.ok(!index.includes(p.img.digest) && !index.includes(`"${p.name}"`), `${p.name} not in index.json`);
      }
    }
    if (run.dest !== 'registry') assert.deepEqual(await blobProblems(diskRoot(run)), [], 'every blob file hashes to its name; no temporary file left');
  };

  /** Adds lab/<name>:v1 with a config, a 50 KB and a 5 MiB layer; blobs in `own` are the image's own, the others are shared. */
  const add = (reg: LyingRegistry, name: string, own: readonly Size[]): ServedImage =>
    reg.addImage(`lab/${name}`, 'v1', own.includes('config') ? configOf(name) : configOf('shared'), [
      own.includes('50k') ? variant(BASE_50K, name) : SHARED_50K,
      own.includes('5m') ? variant(BASE_5M, name) : SHARED_5M,
    ]);

  for (const dest of DESTS) {
    const into = dest === 'registry' ? "airlock's registry" : dest === 'file' ? 'a file:// disk store (--dir)' : 'an OCI layout';
    describe(`into ${into}`, { concurrency: 4 }, () => {
      it('lies told once (every blob kind and size, manifests by tag and digest) are retried: every image mirrored with exact digests', async () => {
        const run = await mirrorRun(dest, (reg) => {
          const images: Planned[] = [];
          for (const { lie } of BLOB_LIES) {
            const img = add(reg, `once-${lie}`, ['config', '50k', '5m']);
            for (const b of img.blobs) reg.lie(b.digest, lie, 1);
            images.push({ name: `once-${lie}`, img, byDigest: false });
          }
          for (const m of MANIFEST_LIES) {
            const img = add(reg, `once-${m.name}`, ['config']);
            reg.lie(m.byDigest ? img.digest : `lab/once-${m.name}:v1`, m.lie, 1);
            images.push({ name: `once-${m.name}`, img, byDigest: m.byDigest });
          }
          // Junk after the declared Content-Length, every time: the declared body is used, the junk never lands.
          const over = add(reg, 'overrun', ['config', '50k', '5m']);
          for (const b of over.blobs) reg.lie(b.digest, 'overrun');
          images.push({ name: 'overrun', img: over, byDigest: false });
          return images;
        });
        await assertOutcome(run);
        assert.deepEqual(
          run.reg.pendingLies().filter((l) => l.lie !== 'overrun'),
          [],
          'every one-time lie was told',
        );
        for (const p of run.images.filter((x) => x.name.startsWith('once-') && !x.name.startsWith('once-m-'))) {
          for (const b of p.img.blobs) assert.equal(run.reg.gets(b.digest), 2, `${p.name}: ${b.digest} fetched twice`);
        }
        assert.equal(run.r.stderr.match(/^info: retry 1 of copy blob /gm)?.length, BLOB_LIES.length * 3, output(run));
        assert.equal(run.r.stderr.match(/^info: retry 1 of fetch manifest /gm)?.length, MANIFEST_LIES.length, output(run));
      });

      it('lies told every time fail only their image, one line each; --continue-on-error mirrors the rest; exit status 1', async () => {
        const run = await mirrorRun(
          dest,
          (reg) => {
            const images: Planned[] = [];
            for (const { lie, cause } of BLOB_LIES) {
              for (const { size, index } of SIZES) {
                const name = `always-${lie}-${size}`;
                const img = add(reg, name, [size]);
                const lied = img.blobs[index]!.digest;
                reg.lie(lied, lie);
                images.push({ name, img, byDigest: false, failure: { names: `copying blob ${lied} `, cause } });
              }
            }
            for (const m of MANIFEST_LIES) {
              const name = `always-${m.name}`;
              const img = add(reg, name, ['config']);
              reg.lie(m.byDigest ? img.digest : `lab/${name}:v1`, m.lie);
              images.push({ name, img, byDigest: m.byDigest, failure: { names: 'manifest', cause: m.cause } });
            }
            images.push({ name: 'honest', img: add(reg, 'honest', ['config']), byDigest: false });
            return images;
          },
          ['--continue-on-error'],
        );
        await assertOutcome(run);
        for (const p of run.images) {
          if (p.failure === undefined) continue;
          const lied = p.failure.names === 'manifest' ? (p.byDigest ? p.img.digest : `lab/${p.name}:v1`) : p.failure.names.split(' ')[2]!;
          assert.equal(run.reg.gets(lied), ATTEMPTS, `${p.name}: ${ATTEMPTS} attempts at ${lied}`);
        }
        // A lying manifest is never followed: none of its blobs was asked for.
        for (const m of MANIFEST_LIES) {
          const p = run.images.find((x) => x.name === `always-${m.name}`)!;
          assert.equal(run.reg.gets(p.img.config.digest), 0, `${p.name}: config never fetched`);
        }
        assert.match(run.r.stderr, /^info: retry 2 of copy blob /m);
        assert.match(run.r.stderr, /^info: retry 2 of fetch manifest /m);
      });

      it('--continue-on-error, one image at a time: after the bad image fails, the next, good one is mirrored', async () => {
        const run = await mirrorRun(
          dest,
          (reg) => {
            const bad = add(reg, 'bad', ['config', '50k']);
            reg.lie(bad.layers[0]!.digest, 'wrong-bytes');
            return [
              { name: 'bad', img: bad, byDigest: false, failure: { names: `copying blob ${bad.layers[0]!.digest} `, cause: /: content hashes to sha256:/ } },
              { name: 'good', img: add(reg, 'good', ['config', '50k']), byDigest: false },
            ];
          },
          ['--continue-on-error', '--max-per-registry', '1', '--max-registry', '1'],
        );
        await assertOutcome(run);
      });

      it('without --continue-on-error: a config blob (< 1 KB) that never hashes right is one error line, exit status 1, nothing written', async () => {
        const run = await mirrorRun(dest, (reg) => {
          const img = add(reg, 'tiny', ['config', '50k', '5m']);
          reg.lie(img.config.digest, 'wrong-bytes');
          return [{ name: 'tiny', img, byDigest: false, failure: { names: `copying blob ${img.config.digest} `, cause: /: content hashes to sha256:/ } }];
        });
        await assertOutcome(run);
        assert.equal(run.reg.gets(run.images[0]!.img.config.digest), ATTEMPTS);
        if (dest !== 'registry') {
          const left = await listTree(diskRoot(run));
          assert.ok(!left.some((f) => f.includes('manifests') || f.endsWith('index.json')), `no manifest written: ${left.join(', ')}`);
        }
      });
    });
  }
  // The CLI never takes the chunked path for small blobs (its threshold is 64 MiB): the engine in-process, with 256 KiB.
  describe('into a registry through resumable chunked uploads (POST, PATCH..., PUT)', { concurrency: 4 }, () => {
    const RETRY = { times: 2, delayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 5 };
    const copyVia = async (lie: Lie, times: number): Promise<{ img: ServedImage; repo: string; error?: Error; retries: number; reg: LyingRegistry }> => {
      const reg = await startLyingRegistry();
      liars.push(reg);
      const name = `chunked-${lie}-${times === 1 ? 'once' : 'always'}`;
      const img = add(reg, name, ['5m']);
      reg.lie(img.layers[1]!.digest, lie, times);
      const hub = new RegistryHub({ insecure: () => true, retry: RETRY, chunking: { threshold: 256 << 10, chunkSize: 512 << 10 } });
      let retries = 0;
      const ctx = createCopyContext({ retry: RETRY, emit: (e) => void (e.type === 'retry' && retries++) });
      const repo = `chunked/${name}`;
      try {
        await copyImage(ctx, hub.source({ registry: reg.hostPort, repository: `lab/${name}` }), 'v1', [{ dst: hub.destination({ registry: air.hostPort, repository: repo }), tag: 'v1' }]);
        return { img, repo, retries, reg };
      } catch (e) {
        return { img, repo, error: e as Error, retries, reg };
      } finally {
        await hub.close();
      }
    };
    for (const { lie, cause } of BLOB_LIES) {
      it(`${lie} on a 5 MiB layer, once: resumed or restarted, exact digest; every time: one error, nothing committed`, async () => {
        const once = await copyVia(lie, 1);
        assert.equal(once.error, undefined, once.error?.message);
        assert.equal(once.retries, 1);
        assert.deepEqual(await checkImageTree(air.url, once.repo, once.img.digest), []);
        assert.equal(sha256((await getBlob(air.url, once.repo, once.img.layers[1]!.digest)).body), once.img.layers[1]!.digest);
        const always = await copyVia(lie, Infinity);
        assert.ok(always.error, 'the copy failed');
        assert.equal(always.error.message.split('\n').length, 1);
        assert.ok(always.error.message.startsWith(`copying blob ${always.img.layers[1]!.digest} `), always.error.message);
        assert.match(always.error.message, cause);
        assert.equal(always.reg.gets(always.img.layers[1]!.digest), ATTEMPTS);
        assert.equal((await getBlob(air.url, always.repo, always.img.layers[1]!.digest)).status, 404, 'nothing committed');
        assert.equal((await headManifest(air.url, always.repo, 'v1')).status, 404);
      });
    }
  });
});
