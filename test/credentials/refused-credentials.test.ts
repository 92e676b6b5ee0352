/**
 * Wrong credentials fail once, fast, with one message (issue 15): the first
 * 401/403 from a registry stops the work for that registry, naming the auth
 * file and key used and what to do. Before, the failed logins tripped the
 * registry's login rate limit and every queued image waited out the 429
 * backoff, then printed the same error once per image.
 *
 * airlock with logins on loopback (token auth), and Debian's docker-registry
 * with htpasswd (Basic), in a child process with the auth file in a
 * temporary HOME.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { runAirlockCli, type CliResult } from '../helpers/airlock-process.js';
import { writeTinyImages } from '../copy/support/tiny-images.js';
import { dockerRegistryUnavailableReason, startDockerRegistry, type DockerRegistryHandle } from '../helpers/docker-registry.js';

describe('refused credentials', () => {
  let work: string;
  let layout: string;
  let reg: AirlockHandle;
  let basic: DockerRegistryHandle | undefined;
  const IMAGES = 12;
  const peerSkip = process.env.AIRLOCK_REQUIRE_PEERS === '1' ? undefined : dockerRegistryUnavailableReason();

  function airlock(home: string, args: string[]): Promise<CliResult> {
    return runAirlockCli(args, {
      cwd: home,
      timeoutMs: 120_000,
      env: { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_RUNTIME_DIR: '', REGISTRY_AUTH_FILE: '', DOCKER_CONFIG: '', NODE_EXTRA_CA_CERTS: reg.security!.caCertPath },
    });
  }

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-refused-'));
    layout = join(work, 'layout');
    await writeTinyImages(layout, IMAGES);
    reg = await startAirlock({ auth: 'token' });
    await reg.security!.addUser('pusher', 'right-password', { push: ['rf/**'] });
    if (peerSkip === undefined) basic = await startDockerRegistry({ htpasswd: { user: 'pusher', password: 'right-password' } });
  });

  after(async () => {
    await reg?.close();
    await basic?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('a wrong password stops the mirror at the first refusal with one message naming the file and key', async () => {
    const home = join(work, 'home');
    await mkdir(join(home, '.config', 'containers'), { recursive: true });
    const authFile = join(home, '.config', 'containers', 'auth.json');
    await writeFile(authFile, JSON.stringify({ auths: { [reg.hostPort]: { auth: Buffer.from('pusher:wrong-password').toString('base64') } } }), { mode: 0o600 });
    const mapping = join(work, 'mapping.txt');
    await writeFile(mapping, Array.from({ length: IMAGES }, (_, i) => `oci:${layout}:img-${i}=${reg.hostPort}/rf/app-${i}:v1`).join('\n') + '\n');
    const r = await airlock(home, ['image', 'mirror', '-f', mapping, '--max-per-registry', '4']);
    assert.notEqual(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /retry|retrying|HTTP 429|too many/i, `no retries, no rate limit reached:\n${r.stderr}`);
    const lines = r.stderr.split('\n').filter((l) => l.includes('rejected'));
    assert.equal(lines.length, 1, `one message:\n${r.stderr}`);
    assert.ok(lines[0]!.includes(authFile), `names the auth file: ${lines[0]}`);
    assert.ok(lines[0]!.includes(`"${reg.hostPort}"`), `names the key: ${lines[0]}`);
    assert.ok(lines[0]!.includes(`airlock login ${reg.hostPort}`), `says what to do: ${lines[0]}`);
    assert.ok(!r.stderr.includes('wrong-password') && !r.stdout.includes('wrong-password'));
  });

  it('Basic auth (docker-registry htpasswd): a wrong password stops at the first 401 with one message, and the right one pushes', { skip: peerSkip }, async () => {
    const b = basic!;
    const home = join(work, 'home-basic');
    await mkdir(join(home, '.config', 'containers'), { recursive: true });
    const authFile = join(home, '.config', 'containers', 'auth.json');
    const writeAuth = (password: string) => writeFile(authFile, JSON.stringify({ auths: { [b.hostPort]: { auth: Buffer.from(`pusher:${password}`).toString('base64') } } }), { mode: 0o600 });
    const mapping = join(work, 'mapping-basic.txt');
    await writeFile(mapping, Array.from({ length: IMAGES }, (_, i) => `oci:${layout}:img-${i}=${b.hostPort}/rf/app-${i}:v1`).join('\n') + '\n');

    await writeAuth('wrong-password');
    const r = await airlock(home, ['image', 'mirror', '-f', mapping, '--insecure', '--max-per-registry', '4']);
    assert.notEqual(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /retry|retrying|HTTP 429|too many/i, `no retries:\n${r.stderr}`);
    const lines = r.stderr.split('\n').filter((l) => l.includes('rejected'));
    assert.equal(lines.length, 1, `one message:\n${r.stderr}`);
    assert.ok(lines[0]!.includes(authFile), `names the auth file: ${lines[0]}`);
    assert.ok(lines[0]!.includes(`"${b.hostPort}"`), `names the key: ${lines[0]}`);
    assert.ok(lines[0]!.includes(`airlock login ${b.hostPort}`), `says what to do: ${lines[0]}`);
    assert.ok(!r.stderr.includes('wrong-password') && !r.stdout.includes('wrong-password'), 'the password is never printed');
    const listed = await fetch(`${b.url}/v2/_catalog`, { headers: { authorization: `Basic ${Buffer.from('pusher:right-password').toString('base64')}` } });
    assert.deepEqual(((await listed.json()) as { repositories: string[] }).repositories, [], 'nothing was pushed');

    await writeAuth('right-password');
    const ok = await airlock(home, ['image', 'mirror', '-f', mapping, '--insecure']);
    assert.equal(ok.code, 0, ok.stderr);
    const after = await fetch(`${b.url}/v2/_catalog`, { headers: { authorization: `Basic ${Buffer.from('pusher:right-password').toString('base64')}` } });
    assert.equal(((await after.json()) as { repositories: string[] }).repositories.length, IMAGES, 'the right password pushes every image');
  });
});
