/**
 * `airlock login` / `logout` end to end: the compiled CLI (child process)
 * against airlock's registry with token auth (HTTPS, generated CA, Bearer
 * tokens) and against a loopback Basic-auth proxy in front of an open
 * airlock. Written files are then used by `airlock image info -a`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync, chmodSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { freePort } from '../helpers/airlock-process.js';
import { startGateProxy, type GateProxy } from '../copy/support/gate-proxy.js';
import { writeTinyImages } from '../copy/support/tiny-images.js';
import { createCopyContext } from '../../src/copy/copy-context.js';
import { copyImage } from '../../src/copy/copy-image.js';
import { OciLayout } from '../../src/transports/oci-layout/layout.js';
import { OciLayoutSource } from '../../src/transports/oci-layout/layout-image.js';
import { AuthStore } from '../../src/transports/registry/auth-file.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { b64, leaks, ptyAvailable, runCli, runInPty } from './support/run-cli.js';

const USER = 'mirror';
const PASSWORD = 'mirror-pass:word-1';

describe('airlock login / logout', { timeout: 180_000 }, () => {
  let dir: string;
  let reg: AirlockHandle;
  let ca: string;
  let host: string;
  let gateUpstream: AirlockHandle;
  let gate: GateProxy;
  let n = 0;
  const home = (): string => {
    const h = join(dir, `home-${++n}`);
    mkdirSync(h);
    return h;
  };
  const tls = (): string[] => ['--certificate-authority', ca];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-login-'));
    reg = await startAirlock({ auth: 'token' });
    ca = reg.security!.caCertPath;
    host = reg.hostPort;
    await reg.security!.addUser(USER, PASSWORD, { push: ['cred/**'] });
    const layout = join(dir, 'layout');
    await writeTinyImages(layout, 1, { layerSize: 2000 });
    const admin = AuthStore.parse('admin.json', JSON.stringify({ auths: { [host]: { auth: b64('admin', reg.security!.adminPassword) } } }));
    const hub = new RegistryHub({ auth: admin, caFile: ca });
    await copyImage(createCopyContext(), new OciLayoutSource(await OciLayout.open(layout, { create: false })), 'img-0', [{ dst: hub.destination({ registry: host, repository: 'cred/app' }), tag: 'v1' }]);
    await hub.close();
    gateUpstream = await startAirlock();
    gate = await startGateProxy({ upstream: gateUpstream.url, auth: 'basic', users: { basicuser: 'basic-secret-1' } });
  });

  after(async () => {
    await gate?.close();
    await gateUpstream?.close();
    await reg?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('logs in with a Bearer token registry: auth file created 0600 (directory 0700) with base64 user:password; image info -a uses it', async () => {
    const h = home();
    const file = join(h, 'new-dir', 'auth.json');
    const r = await runCli(['login', host, '-u', USER, '--password-stdin', '-a', file, ...tls()], { home: h, stdin: `${PASSWORD}\n` });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Login Succeeded!\n');
    assert.equal(leaks(r, PASSWORD, USER), undefined);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(h, 'new-dir')).mode & 0o777, 0o700);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { auths: Record<string, { auth: string }> };
    assert.deepEqual(Object.keys(doc.auths), [host]);
    assert.equal(Buffer.from(doc.auths[host]!.auth, 'base64').toString(), `${USER}:${PASSWORD}`);
    assert.deepEqual(readdirSync(join(h, 'new-dir')), ['auth.json'], 'no temporary or lock file is left');

    const info = await runCli(['image', 'info', '-a', file, ...tls(), '-o', 'json', `${host}/cred/app:v1`], { home: h });
    assert.equal(info.code, 0, info.stderr);
    assert.match((JSON.parse(info.stdout) as { digest: string }).digest, /^sha256:[0-9a-f]{64}$/);
    const anonymous = await runCli(['image', 'info', ...tls(), `${host}/cred/app:v1`], { home: h });
    assert.notEqual(anonymous.code, 0, 'without the file the image is not readable');
  });

  it('a wrong password exits 1 and leaves an existing file byte-for-byte unchanged; the password is never printed', async () => {
    const h = home();
    const file = join(h, 'auth.json');
    const before = '{\n  "auths": {\n    "other.example:5000": { "auth": "b3RoZXI6c2VjcmV0", "x-extra": [1, 2.50] }\n  }\n}\n';
    writeFileSync(file, before, { mode: 0o600 });
    const wrong = 'not-the-password-9';
    const r = await runCli(['login', host, '-u', USER, '--password-stdin', '-a', file, ...tls()], { home: h, stdin: wrong });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^error: login to ${host.replace(/\./g, '\\.')} failed: wrong user name or password`, 'm'));
    assert.equal(leaks(r, wrong, USER), undefined);
    assert.equal(readFileSync(file, 'utf8'), before);
    assert.deepEqual(readdirSync(h), ['auth.json']);
  });

  it('adds to an existing auth file keeping its other entries, tightens its mode to 0600, and replaces its own entry on a second login', async () => {
    const h = home();
    const file = join(h, 'auth.json');
    const other = '"other.example:5000": { "auth": "b3RoZXI6c2VjcmV0", "x-extra": [1, 2.50] }';
    writeFileSync(file, `{\n  "auths": {\n    ${other}\n  },\n  "credHelpers": {}\n}\n`);
    chmodSync(file, 0o644);
    const r1 = await runCli(['login', host, '-u', USER, '--password-stdin', '-a', file, ...tls()], { home: h, stdin: PASSWORD });
    assert.equal(r1.code, 0, r1.stderr);
    const text1 = readFileSync(file, 'utf8');
    assert.ok(text1.includes(other), 'the other entry keeps its bytes');
    assert.ok(text1.includes('"credHelpers": {}'));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const r2 = await runCli(['login', `https://${host}/`, '-u', USER, '-p', PASSWORD, '-a', file, ...tls()], { home: h });
    assert.equal(r2.code, 0, r2.stderr);
    assert.match(r2.stderr, /WARNING! Using --password via the CLI is insecure/);
    assert.equal(leaks({ ...r2, stderr: r2.stderr }, PASSWORD, USER), undefined);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { auths: Record<string, unknown> };
    assert.deepEqual(Object.keys(doc.auths), ['other.example:5000', host], 'one entry for the registry, scheme and slash dropped');
  });

  it('--get-login prints the stored user; login without credentials reuses valid stored ones; logout removes the entry', async () => {
    const h = home();
    const file = join(h, 'auth.json');
    assert.equal((await runCli(['login', host, '-u', USER, '--password-stdin', '-a', file, ...tls()], { home: h, stdin: PASSWORD })).code, 0);
    const get = await runCli(['login', '--get-login', host, '-a', file], { home: h });
    assert.equal(get.code, 0, get.stderr);
    assert.equal(get.stdout, `${USER}\n`);
    const again = await runCli(['login', host, '-a', file, ...tls()], { home: h });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Already logged in to /);
    const out = await runCli(['logout', host, '-a', file], { home: h });
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, `Removed login credentials for ${host}\n`);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { auths: {} });
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const twice = await runCli(['logout', host, '-a', file], { home: h });
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /not logged into/);
    const none = await runCli(['login', '--get-login', host, '-a', file], { home: h });
    assert.equal(none.code, 1);
    const noUser = await runCli(['login', host, '-a', file, ...tls()], { home: h });
    assert.equal(noUser.code, 2, 'no stored login and stdin is not a terminal');
    assert.match(noUser.stderr, /--username/);
  });

  it('logout --all empties "auths" and keeps the other top-level fields', async () => {
    const h = home();
    const file = join(h, 'config.json');
    writeFileSync(file, '{"auths":{"a.example":{"auth":"YTpi"},"b.example":{"auth":"YTpi"}},"psFormat":"table"}', { mode: 0o600 });
    const r = await runCli(['logout', '--all', '-a', file], { home: h });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(file, 'utf8'), '{"auths":{},"psFormat":"table"}');
  });

  it('default auth file: $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json, else ~/.config/containers/auth.json', async () => {
    const h = home();
    const env = { REGISTRY_AUTH_FILE: join(h, 'explicit.json'), XDG_RUNTIME_DIR: join(h, 'run') };
    mkdirSync(env.XDG_RUNTIME_DIR, { mode: 0o700 });
    assert.equal((await runCli(['login', host, '-u', USER, '--password-stdin', ...tls()], { home: h, stdin: PASSWORD, env })).code, 0);
    assert.ok(existsSync(env.REGISTRY_AUTH_FILE));
    assert.ok(!existsSync(join(env.XDG_RUNTIME_DIR, 'containers')));
    const r = await runCli(['login', host, '-u', USER, '--password-stdin', '-v', ...tls()], { home: h, stdin: PASSWORD, env: { XDG_RUNTIME_DIR: env.XDG_RUNTIME_DIR } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`Used: ${join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json')}`));
    if (process.getuid?.() !== 0) {
      const plain = await runCli(['login', host, '-u', USER, '--password-stdin', ...tls()], { home: h, stdin: PASSWORD });
      assert.equal(plain.code, 0, plain.stderr);
      assert.ok(existsSync(join(h, '.config', 'containers', 'auth.json')));
    }
    const missing = await runCli(['login', host, '-u', USER, '--password-stdin', ...tls()], { home: h, stdin: PASSWORD, env: { XDG_RUNTIME_DIR: join(h, 'nope') } });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /XDG_RUNTIME_DIR .* does not exist/);
  });

  it('writes through a symbolic link (the link stays a link)', async () => {
    const h = home();
    const real = join(h, 'real.json');
    writeFileSync(real, '{"auths":{}}', { mode: 0o600 });
    const link = join(h, 'link.json');
    symlinkSync(real, link);
    const r = await runCli(['login', host, '-u', USER, '--password-stdin', '-a', link, ...tls()], { home: h, stdin: PASSWORD });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.ok(readFileSync(real, 'utf8').includes(b64(USER, PASSWORD)));
  });

  it('TLS: an untrusted certificate fails with a hint; --cert-dir with ca.crt and --tls-verify=false work', async () => {
    const h = home();
    const file = join(h, 'auth.json');
    const untrusted = await runCli(['login', host, '-u', USER, '--password-stdin', '-a', file], { home: h, stdin: PASSWORD });
    assert.equal(untrusted.code, 1);
    assert.match(untrusted.stderr, /not trusted|certificate/);
    assert.ok(!existsSync(file), 'nothing written');
    const certDir = join(h, 'certs.d', host);
    mkdirSync(certDir, { recursive: true });
    copyFileSync(ca, join(certDir, 'ca.crt'));
    const withDir = await runCli(['login', host, '-u', USER, '--password-stdin', '-a', file, '--cert-dir', certDir], { home: h, stdin: PASSWORD });
    assert.equal(withDir.code, 0, withDir.stderr);
    const noVerify = await runCli(['login', host, '-u', USER, '--password-stdin', '-a', file, '--tls-verify=false'], { home: h, stdin: PASSWORD });
    assert.equal(noVerify.code, 0, noVerify.stderr);
  });

  it('an unreachable registry is a clear error and writes nothing', async () => {
    const h = home();
    const file = join(h, 'auth.json');
    const port = await freePort();
    const r = await runCli(['login', `127.0.0.1:${port}`, '-u', USER, '--password-stdin', '-a', file, '--tls-verify=false'], { home: h, stdin: PASSWORD });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: login to 127\.0\.0\.1:\d+ failed: cannot reach registry/m);
    assert.ok(!existsSync(file));
  });

  it('Basic auth registry: right password stored, wrong one refused', async () => {
    const h = home();
    const file = join(h, 'auth.json');
    const ok = await runCli(['login', gate.hostPort, '-u', 'basicuser', '--password-stdin', '-a', file, '--tls-verify=false'], { home: h, stdin: 'basic-secret-1\n' });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(leaks(ok, 'basic-secret-1', 'basicuser'), undefined);
    const before = readFileSync(file, 'utf8');
    assert.ok(before.includes(b64('basicuser', 'basic-secret-1')));
    const bad = await runCli(['login', gate.hostPort, '-u', 'basicuser', '--password-stdin', '-a', file, '--insecure'], { home: h, stdin: 'basic-secret-2\n' });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /wrong user name or password/);
    assert.equal(readFileSync(file, 'utf8'), before);
  });

  it('on a terminal: prompts for the user name (visible) and the password (no echo)', { skip: ptyAvailable() ? false : 'no util-linux script for a pseudo-terminal' }, async () => {
    const h = home();
    const file = join(h, 'auth.json');
    const r = await runInPty(['login', host, '-a', file, ...tls()], { home: h, answers: [[/Username: /, `${USER}\r`], [/Password: /, `${PASSWORD}\r`]] });
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /Username: .*mirror/, "the user name is echoed");
    assert.match(r.output, /Login Succeeded!/);
    assert.ok(!r.output.includes(PASSWORD), 'the password is not echoed');
    assert.ok(readFileSync(file, 'utf8').includes(b64(USER, PASSWORD)));
  });

  it('refuses bad input with exit 2: no registry, a tag in the registry, both password flags, a malformed auth file (never quoting it)', async () => {
    const h = home();
    const file = join(h, 'auth.json');
    writeFileSync(file, '{"auths": {"x": {"auth": "c2VjcmV0LXZhbHVl"}', { mode: 0o600 });
    const cases: [string[], RegExp][] = [
      [['login', '-u', USER], /give the registry/],
      [['login', `${host}/cred/app:v1`, '-u', USER, '--password-stdin'], /expected host\[:port\]/],
      [['login', host, '-u', USER, '-p', 'x', '--password-stdin'], /mutually exclusive/],
      [['login', host, '-u', USER, '--password-stdin', '-a', file, ...tls()], /auth\.json: not valid JSON \(line 1, column \d+/],
    ];
    for (const [args, re] of cases) {
      const r = await runCli(args, { home: h, stdin: PASSWORD });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.ok(!r.stderr.includes('c2VjcmV0LXZhbHVl'));
    }
  });
});
