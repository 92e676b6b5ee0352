/**
 * Issue 9, finding 9 (input files): every file a user hands airlock is read
 * with a size cap and by the same strict reader. Child processes against a
 * token-auth airlock on 127.0.0.1:
 *   - `-f /dev/zero` fails at once with one line (it grew to 7 GB before);
 *   - a BOM-prefixed auth file works for `pull-secret check` AND `image mirror`;
 *   - a key repeated in an auth file is an error naming the key, in both.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { runAirlockCli, type CliResult } from '../helpers/airlock-process.js';
import { writeTinyImages, type TinyImage } from '../copy/support/tiny-images.js';

describe('input files: size caps, BOM, repeated keys', { timeout: 180_000 }, () => {
  let work: string;
  let layout: string;
  let images: TinyImage[];
  let reg: AirlockHandle;

  const airlock = (args: string[], stdin?: string): Promise<CliResult> =>
    runAirlockCli(args, {
      cwd: work,
      timeoutMs: 60_000,
      ...(stdin !== undefined ? { stdin } : {}),
      env: { HOME: work, XDG_RUNTIME_DIR: '', REGISTRY_AUTH_FILE: '', DOCKER_CONFIG: '', NODE_EXTRA_CA_CERTS: reg.security!.caCertPath },
    });
  const entry = (): string => JSON.stringify({ auth: Buffer.from(`pusher:pusher-password`).toString('base64') });
  const oneLine = (r: CliResult): void => {
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at |Error:/, 'no stack trace');
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-inputs-'));
    layout = join(work, 'layout');
    images = await writeTinyImages(layout, 1);
    reg = await startAirlock({ auth: 'token' });
    await reg.security!.addUser('pusher', 'pusher-password', { push: ['in/**'] });
    await mkdir(join(work, 'files'));
  });
  after(async () => {
    await reg?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('pull-secret check, image mirror -a and image mirror -f refuse /dev/zero at the size cap, in one line', async () => {
    const check = await airlock(['pull-secret', 'check', '-f', '/dev/zero']);
    assert.notEqual(check.code, 0);
    assert.match(check.stderr, /\/dev\/zero: larger than 4 MiB, the most a registry auth file may have/);
    oneLine(check);
    const mirror = await airlock(['image', 'mirror', '-a', '/dev/zero', `oci:${layout}:img-0`, `${reg.hostPort}/in/app:v1`]);
    assert.notEqual(mirror.code, 0);
    assert.match(mirror.stderr, /\/dev\/zero: larger than 4 MiB, the most a registry auth file may have/);
    oneLine(mirror);
    const mapping = await airlock(['image', 'mirror', '-f', '/dev/zero']);
    assert.notEqual(mapping.code, 0);
    assert.match(mapping.stderr, /\/dev\/zero: larger than 64 MiB, the most a mapping file may have/);
    oneLine(mapping);
  });

  it('a BOM-prefixed auth file passes check and is used by image mirror; a BOM-prefixed mapping file works too', async () => {
    const file = join(work, 'files', 'bom.json');
    await writeFile(file, `\ufeff{"auths":{"${reg.hostPort}":${entry()}}}\n`, { mode: 0o600 });
    const check = await airlock(['pull-secret', 'check', '-f', file]);
    assert.equal(check.code, 0, check.stderr);
    const mapping = join(work, 'files', 'mapping.txt');
    await writeFile(mapping, `\ufeffoci:${layout}:img-0=${reg.hostPort}/in/bom:v1\n`);
    const mirror = await airlock(['image', 'mirror', '-a', file, '-f', mapping]);
    assert.equal(mirror.code, 0, mirror.stderr);
    assert.equal(mirror.stdout.trim(), `${images[0]!.digest} ${reg.hostPort}/in/bom:v1`);
  });

  it('a registry key repeated in an auth file is refused by check and by image mirror, naming the key and where', async () => {
    const file = join(work, 'files', 'dup.json');
    await writeFile(file, `{"auths": {\n  "${reg.hostPort}": ${entry()},\n  "${reg.hostPort}": {"auth": "${Buffer.from('other:pw').toString('base64')}"}\n}}\n`, { mode: 0o600 });
    const check = await airlock(['pull-secret', 'check', '-f', file]);
    assert.notEqual(check.code, 0);
    const where = `line 3, column 3: duplicate member name "${reg.hostPort}"`;
    assert.ok(check.stderr.includes(where), check.stderr);
    const mirror = await airlock(['image', 'mirror', '-a', file, `oci:${layout}:img-0`, `${reg.hostPort}/in/dup:v1`]);
    assert.notEqual(mirror.code, 0);
    assert.ok(mirror.stderr.includes(where), mirror.stderr);
    oneLine(mirror);
    assert.ok(!check.stderr.includes('pusher-password') && !mirror.stderr.includes('other:pw'), 'no secret quoted');
  });
});
