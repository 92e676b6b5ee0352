/**
 * Dry runs write nothing: `image mirror --dry-run` to an OCI layout and to
 * oc's file:// disk store, and `release mirror --dry-run --to-dir`, run as
 * real processes with their working directory and HOME inside a scratch
 * tree. Every entry of that tree (type, size, mtime; a directory's mtime also
 * moves when a temporary file came and went) is listed before and after, and
 * must be unchanged: no layout or store created, nothing added to an existing
 * one, yet the plan is printed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seeded } from '../fixtures/release-fixture-images.js';
import { makeSyntheticRelease, type SyntheticRelease } from '../fixtures/release-fixture.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { runAirlockCli, type CliResult } from '../helpers/airlock-process.js';
import { listTree, snapshot } from './support/disk-audit.js';
import { startLyingRegistry, type LyingRegistry } from './support/lying-registry.js';

describe('dry runs write nothing', () => {
  let work: string;
  let src: LyingRegistry;
  let up: AirlockHandle;
  let rel: SyntheticRelease;
  let n = 0;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-dry-'));
    // An honest registry (no lies) serving two small images.
    src = await startLyingRegistry();
    src.addImage('lab/one', 'v1', Buffer.from('{"architecture":"amd64","os":"linux","config":{"Labels":{"n":"1"}}}'), [seeded('dry-one', 50_000)]);
    src.addImage('lab/two', 'v1', Buffer.from('{"architecture":"amd64","os":"linux","config":{"Labels":{"n":"2"}}}'), [seeded('dry-two', 50_000)]);
    up = await startAirlock();
    rel = await makeSyntheticRelease({ registry: up.hostPort, count: 3 });
  });
  after(async () => {
    await src?.close();
    await up?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** A fresh scratch directory (cwd and HOME of the runs). */
  const scratch = async (): Promise<string> => {
    const dir = join(work, `case-${++n}`);
    await mkdir(dir);
    return dir;
  };
  const airlock = (dir: string, args: readonly string[]): Promise<CliResult> => runAirlockCli(args, { cwd: dir, env: { HOME: dir }, timeoutMs: 120_000 });
  const mirror = (dir: string, ...args: string[]): Promise<CliResult> => airlock(dir, ['image', 'mirror', '--insecure', '--no-progress', ...args]);

  /** Runs `run` in `dir` and asserts it succeeded and changed nothing under `dir`. */
  const unchanged = async (dir: string, run: () => Promise<CliResult>): Promise<CliResult> => {
    const before = await snapshot(dir);
    const r = await run();
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await snapshot(dir), before, `the dry run changed ${dir}\nstderr: ${r.stderr}`);
    return r;
  };

  it('image mirror --dry-run to an OCI layout that does not exist: no layout is created', async () => {
    const dir = await scratch();
    const r = await unchanged(dir, () => mirror(dir, '--dry-run', `${src.hostPort}/lab/one:v1`, `oci:${join(dir, 'layout')}:v1`));
    assert.match(r.stderr, /Dry run complete: 1 images .*2 to transfer/);
    assert.deepEqual(await listTree(dir), []);
  });

  it('image mirror --dry-run into an existing OCI layout adds nothing to it', async () => {
    const dir = await scratch();
    const layout = join(dir, 'layout');
    const real = await mirror(dir, `${src.hostPort}/lab/one:v1`, `oci:${layout}:one`);
    assert.equal(real.code, 0, real.stderr);
    const r = await unchanged(dir, () => mirror(dir, '--dry-run', `${src.hostPort}/lab/two:v1`, `oci:${layout}:two`));
    assert.match(r.stderr, /Dry run complete: 1 images/);
    // and the same image again (everything present): still nothing
    await unchanged(dir, () => mirror(dir, '--dry-run', '--force', `${src.hostPort}/lab/one:v1`, `oci:${layout}:one`));
  });

  it('image mirror --dry-run to file:// (with --dir, and the default --dir: the working directory): nothing is created', async () => {
    const dir = await scratch();
    const r = await unchanged(dir, () => mirror(dir, '--dry-run', '--dir', join(dir, 'disk'), `${src.hostPort}/lab/one:v1`, 'file://lab/one:v1'));
    assert.match(r.stderr, /Dry run complete: 1 images .*2 to transfer/);
    await unchanged(dir, () => mirror(dir, '--dry-run', `${src.hostPort}/lab/one:v1`, 'file://lab/one:v1'));
    await unchanged(dir, () => mirror(dir, '--dry-run', '-o', 'json', `${src.hostPort}/lab/one:v1`, 'file://lab/one:v1'));
    assert.deepEqual(await listTree(dir), []);
  });

  it('image mirror --dry-run into an existing file:// store adds nothing (no blobs, links, tags or temporary files)', async () => {
    const dir = await scratch();
    const disk = join(dir, 'disk');
    const real = await mirror(dir, '--dir', disk, `${src.hostPort}/lab/one:v1`, 'file://lab/one:v1');
    assert.equal(real.code, 0, real.stderr);
    // A new repository (mounts from lab/one would be hard links), a new tag, and a forced re-copy.
    await unchanged(dir, () => mirror(dir, '--dry-run', '--dir', disk, `${src.hostPort}/lab/one:v1`, 'file://lab/copy:v1'));
    await unchanged(dir, () => mirror(dir, '--dry-run', '--dir', disk, `${src.hostPort}/lab/one:v1`, 'file://lab/one:v2'));
    await unchanged(dir, () => mirror(dir, '--dry-run', '--force', '--dir', disk, `${src.hostPort}/lab/two:v1`, 'file://lab/one:v3'));
  });

  it('release mirror --dry-run --to-dir: no store, no sidecar record, no signature directory', async () => {
    const dir = await scratch();
    const r = await unchanged(dir, () => airlock(dir, ['release', 'mirror', '--insecure', '--no-progress', '--dry-run', `--to-dir=${join(dir, 'media')}`, rel.ref]));
    assert.match(r.stderr, /Dry run complete/);
    assert.deepEqual(await listTree(dir), []);
  });
});
