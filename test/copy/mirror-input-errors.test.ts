/**
 * `image mirror` input mistakes end in one `error:` line and a non-zero exit,
 * never a stack trace or a silent success (issue 15's rough edges).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
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
});
