/**
 * `image mirror` input mistakes end in one `error:` line and a non-zero exit,
 * never a stack trace or a silent success (issue 15's rough edges).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAirlockCli, type CliResult } from '../helpers/airlock-process.js';

function assertOneLineError(r: CliResult, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, r.stderr);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
  assert.equal(errors.length, 1, r.stderr);
  assert.match(errors[0]!, pattern);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
}

describe('image mirror input errors', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-input-errors-'));
  });
  after(() => rm(work, { recursive: true, force: true }));

  it('a destination tag given twice while expanding mappings is a one-line error with exit 2', async () => {
    const r = await runAirlockCli(['image', 'mirror', 'file://a:v1=file://x:t', 'file://c:v1=file://x:t'], { cwd: work });
    assertOneLineError(r, 2, /^error: argument 2: each destination tag may only be specified once: file:\/\/x:t$/);
  });

  it('a file:// glob that matches nothing exits non-zero: a --from-dir with no v2/ store is named', async () => {
    const wrong = join(work, 'wrong', 'path');
    const r = await runAirlockCli(['image', 'mirror', `--from-dir=${wrong}`, 'file://openshift/release:4.12.0*', 'file://copy/release'], { cwd: work });
    assertOneLineError(r, 2, /file:\/\/openshift\/release:4\.12\.0\* matches no image in the disk store .*wrong\/path: it has no v2\/ store/);
    assert.doesNotMatch(r.stderr, /0 images/);
  });

  it('a file:// glob that matches nothing lists the repositories and tags the store does hold', async () => {
    const store = join(work, 'store');
    const digest = `sha256:${'a'.repeat(64)}`;
    for (const [repo, tags] of [['openshift/release', ['4.13.0-x86_64', '4.13.1-x86_64']], ['openshift/release-images', ['4.13.0']]] as const) {
      const manifests = join(store, 'v2', ...repo.split('/'), 'manifests');
      await mkdir(manifests, { recursive: true });
      for (const t of tags) await symlink(digest, join(manifests, t));
    }
    const r = await runAirlockCli(['image', 'mirror', `--from-dir=${store}`, 'file://openshift/release:4.12.0*', 'file://copy/release'], { cwd: work });
    assertOneLineError(r, 2, /matches no image in the disk store .*store: it holds openshift\/release \(4\.13\.0-x86_64, 4\.13\.1-x86_64\), openshift\/release-images \(4\.13\.0\)$/);
  });

  it('a missing source image names --skip-missing in its error; with the flag the run succeeds', async () => {
    const store = join(work, 'missing-store');
    await mkdir(join(store, 'v2', 'app', 'one', 'manifests'), { recursive: true });
    const args = ['image', 'mirror', `--from-dir=${store}`, `--dir=${join(work, 'out')}`, 'file://app/one:v1', 'file://copy/one'];
    const r = await runAirlockCli(args, { cwd: work });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^error: file:\/\/app\/one:v1: .*no manifest v1; rerun with --skip-missing to skip missing images$/m);
    assert.doesNotMatch(r.stderr, /^\s+at /m);
    const skipped = await runAirlockCli([...args, '--skip-missing', `--missing-file=${join(work, 'missing.txt')}`], { cwd: work });
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.match(skipped.stderr, /warning: Image file:\/\/app\/one:v1 does not exist/);
  });
});
