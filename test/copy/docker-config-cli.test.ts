/**
 * The default credential search with docker's own config.json (child
 * process, HOME in a temporary directory, airlock with logins on loopback):
 * an `identitytoken` entry is exchanged for tokens with grant_type=refresh_token,
 * and a Docker Desktop config (`credsStore`, no "auths") is no parse error but
 * a warning naming the helper.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { runAirlockCli, type CliResult } from '../helpers/airlock-process.js';
import { AuthStore } from '../../src/transports/registry/auth-file.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { SecureClient, type TokenBody } from '../security/support/secure-client.js';
import { writeTinyImages, type TinyImage } from './support/tiny-images.js';

describe('docker config.json in the default credential search', () => {
  let work: string;
  let layout: string;
  let images: TinyImage[];
  let reg: AirlockHandle;
  let refreshToken: string;

  /** `airlock ARGS` with HOME=home and every other auth file location inside it. */
  function airlock(home: string, args: string[]): Promise<CliResult> {
    return runAirlockCli(args, {
      cwd: home,
      timeoutMs: 120_000,
      env: {
        HOME: home,
        XDG_CONFIG_HOME: join(home, '.config'),
        XDG_RUNTIME_DIR: '',
        REGISTRY_AUTH_FILE: '',
        DOCKER_CONFIG: '',
        NODE_EXTRA_CA_CERTS: reg.security!.caCertPath,
      },
    });
  }

  async function homeWith(name: string, config: unknown): Promise<string> {
    const home = join(work, name);
    await mkdir(join(home, '.docker'), { recursive: true });
    await writeFile(join(home, '.docker', 'config.json'), JSON.stringify(config, null, '\t'), { mode: 0o600 });
    return home;
  }

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-dockercfg-'));
    layout = join(work, 'layout');
    images = await writeTinyImages(layout, 1);
    reg = await startAirlock({ auth: 'token' });
    await reg.security!.addUser('pusher', 'pusher-password', { push: ['dc/**'] });
    const client = new SecureClient(reg.url, reg.security!.caCertPath);
    const r = await client.postToken({ grant_type: 'password', username: 'pusher', password: 'pusher-password', service: 'airlock', access_type: 'offline' });
    assert.equal(r.status, 200, r.text());
    refreshToken = r.json<TokenBody>().refresh_token!;
    assert.ok(refreshToken, 'access_type=offline gave a refresh token');
  });

  after(async () => {
    await reg?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('pushes with an identitytoken entry (docker login\'s OAuth refresh token), never printing it', async () => {
    const home = await homeWith('token', {
      auths: { [reg.hostPort]: { auth: Buffer.from('pusher:').toString('base64'), identitytoken: refreshToken } },
      credsStore: 'desktop',
      currentContext: 'default',
    });
    const r = await airlock(home, ['image', 'mirror', `oci:${layout}:img-0`, `${reg.hostPort}/dc/app:v1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `${images[0]!.digest} ${reg.hostPort}/dc/app:v1`);
    assert.doesNotMatch(r.stderr, /warning/, 'an entry exists: no word about the helper');
    assert.ok(!r.stdout.includes(refreshToken) && !r.stderr.includes(refreshToken));
    // the password in "auth" is empty: only the refresh token could have pushed it
    const hub = new RegistryHub({ caFile: reg.security!.caCertPath, auth: AuthStore.parse('admin', JSON.stringify({ auths: { [reg.hostPort]: { username: 'admin', password: reg.security!.adminPassword } } })) });
    try {
      assert.equal(await hub.destination({ registry: reg.hostPort, repository: 'dc/app' }).resolveManifest('v1'), images[0]!.digest);
    } finally {
      await hub.close();
    }
  });

  it('runs the credential helper credHelpers/credsStore names (docker-credential-NAME get, host on stdin), never printing the secret', async () => {
    const bin = join(work, 'bin');
    await mkdir(bin, { recursive: true });
    const calls = join(work, 'helper-calls.txt');
    // a helper that holds the pusher's password for this registry only
    await writeFile(
      join(bin, 'docker-credential-airlocktest'),
      `#!/bin/sh\nread host\necho "$1 $host" >> '${calls}'\nif [ "$1" = get ] && [ "$host" = '${reg.hostPort}' ]; then\n  printf '{"ServerURL":"%s","Username":"pusher","Secret":"pusher-password"}' "$host"\nelse\n  echo 'credentials not found in native keychain'\n  exit 1\nfi\n`,
    );
    await chmod(join(bin, 'docker-credential-airlocktest'), 0o755);
    const home = await homeWith('helper', { auths: {}, credHelpers: { [reg.hostPort]: 'airlocktest' } });
    const r = await runAirlockCli(['image', 'mirror', `oci:${layout}:img-0`, `${reg.hostPort}/dc/helper:v1`], {
      cwd: home,
      timeoutMs: 120_000,
      env: { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_RUNTIME_DIR: '', REGISTRY_AUTH_FILE: '', DOCKER_CONFIG: '', NODE_EXTRA_CA_CERTS: reg.security!.caCertPath, PATH: `${bin}:${process.env.PATH ?? ''}` },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `${images[0]!.digest} ${reg.hostPort}/dc/helper:v1`);
    assert.ok(!r.stderr.includes('pusher-password') && !r.stdout.includes('pusher-password'));
    assert.equal(await readFile(calls, 'utf8'), `get ${reg.hostPort}\n`, 'asked once, with the host on stdin');
  });

  it('reads a Docker Desktop config.json (credsStore, no "auths") and names the helper that is not on PATH', async () => {
    const home = await homeWith('desktop', { credsStore: 'desktop', currentContext: 'desktop-linux', plugins: { '-x-cli-hints': { enabled: 'true' } }, detachKeys: 'ctrl-e,e' });
    const r = await airlock(home, ['image', 'mirror', `oci:${layout}:img-0`, `${reg.hostPort}/dc/desktop:v1`]);
    assert.notEqual(r.code, 0, 'no credentials: the push is refused');
    assert.doesNotMatch(r.stderr, /must be an object|registry config/, 'the file itself is fine');
    const warning = `warning: no credentials for ${reg.hostPort}: ${join(home, '.docker', 'config.json')} leaves them to the credential helper docker-credential-desktop, which is not on PATH; use \`airlock login ${reg.hostPort}\` or -a/--registry-config FILE`;
    assert.equal(r.stderr.split('\n').filter((l) => l === warning).length, 1, r.stderr);
  });
});
