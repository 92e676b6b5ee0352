/**
 * The security CLI end to end, as a user would run it: `serve` prints the
 * URL, the CA path with the RHEL and Debian trust commands, and the admin
 * password once (never in a log line); `user`, `robot` and `cert` work on the
 * data directory while the server runs, and the server sees their changes
 * without a restart.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { openAuthStore } from '../../src/auth/setup.js';
import { startRegistry } from '../../src/server/start.js';
import { SecureClient, basic, decodeJwt, type TokenBody } from './support/secure-client.js';
import { runCli, startServe, type ServeProcess } from './support/cli.js';

describe('security CLI (serve, user, robot, cert)', { timeout: 180_000 }, () => {
  let dir: string;
  let data: string;
  let srv: ServeProcess;
  let c: SecureClient;
  let adminPassword: string;
  const dd = (): string[] => ['--data-dir', data];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-sec-cli-'));
    data = join(dir, 'data');
    srv = await startServe(['--data-dir', data, '--log-level', 'info', '--san', 'mirror.example.test']);
    const m = srv.output().match(/store it now:\n {4}(\S+)\n/);
    assert.ok(m, srv.output());
    adminPassword = m[1]!;
    c = new SecureClient(srv.url, join(data, 'tls', 'ca.crt'));
  });
  after(async () => {
    await c?.close();
    await srv?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serve prints the HTTPS URL, the CA and how to trust it, and the admin password — only on stdout, never in a log line', async () => {
    const out = srv.output();
    assert.match(out, /^airlock registry listening on https:\/\/127\.0\.0\.1:\d+$/m);
    assert.ok(out.includes(`CA certificate (created now): ${join(data, 'tls', 'ca.crt')}`));
    assert.match(out, /update-ca-trust/);
    assert.match(out, /update-ca-certificates/);
    assert.match(out, /mirror\.example\.test/);
    const logLines = out.split('\n').filter((l) => l.startsWith('{'));
    assert.ok(logLines.length > 0);
    assert.ok(logLines.every((l) => !l.includes(adminPassword)), 'the password is never logged');
    assert.equal((await c.getToken({ user: 'admin', pass: adminPassword }, [])).status, 200);
    for (const f of ['auth/auth.db', 'auth/token.key', 'tls/ca.key', 'tls/server.key']) {
      assert.equal(statSync(join(data, f)).mode & 0o777, 0o600, f);
    }
  });

  it('user add/list/passwd/rm from stdin while the server runs; no password flag; the last admin stays', async () => {
    const add = await runCli(['user', 'add', 'alice', '--push', 'mirror/**', '--pull', 'ocp4/**', ...dd()], { stdin: 'alice-password-1\n' });
    assert.equal(add.code, 0, add.stderr);
    assert.ok(!add.stdout.includes('alice-password-1'));
    assert.equal((await c.getToken({ user: 'alice', pass: 'alice-password-1' }, [])).status, 200, 'no restart needed');
    const list = await runCli(['user', 'list', '-o', 'json', ...dd()]);
    const users = JSON.parse(list.stdout) as { name: string; push: string[]; pull: string[]; admin: boolean }[];
    assert.deepEqual(users.map((u) => [u.name, u.admin, u.push, u.pull]), [
      ['admin', true, [], []],
      ['alice', false, ['mirror/**'], ['ocp4/**']],
    ]);
    assert.ok(!list.stdout.includes('$2'), 'hashes are not listed');
    assert.equal((await runCli(['user', 'passwd', 'alice', ...dd()], { stdin: 'alice-password-2\n' })).code, 0);
    assert.equal((await c.getToken({ user: 'alice', pass: 'alice-password-1' }, [])).status, 401);
    assert.equal((await c.getToken({ user: 'alice', pass: 'alice-password-2' }, [])).status, 200);
    const short = await runCli(['user', 'add', 'bob', ...dd()], { stdin: 'short\n' });
    assert.equal(short.code, 2);
    assert.match(short.stderr, /at least 8/);
    const flag = await runCli(['user', 'add', 'bob', '--password', 'bob-password', ...dd()]);
    assert.notEqual(flag.code, 0, 'there is no password flag');
    const last = await runCli(['user', 'rm', 'admin', ...dd()]);
    assert.equal(last.code, 2);
    assert.match(last.stderr, /last admin/);
    assert.equal((await runCli(['user', 'rm', 'alice', ...dd()])).code, 0);
    assert.equal((await c.getToken({ user: 'alice', pass: 'alice-password-2' }, [])).status, 401);
  });

  it('robot add prints a working pull-secret auths entry; pull-only and push robots in two commands; rotate revokes', async () => {
    const pull = await runCli(['robot', 'add', 'cluster', '--pull', 'ocp4/**', '--registry', `127.0.0.1:${srv.port}`, ...dd()]);
    assert.equal(pull.code, 0, pull.stderr);
    const push = await runCli(['robot', 'add', 'mirror', '--push', 'ocp4/**', '--push', 'mirror/*', ...dd()]);
    assert.equal(push.code, 0, push.stderr);
    assert.match(push.stderr, /matches one level/, 'a hint for one-level globs');
    const entry = JSON.parse(pull.stdout.split('\n').find((l) => l.startsWith('{"auths"'))!) as { auths: Record<string, { auth: string }> };
    const [user, token] = Buffer.from(entry.auths[`127.0.0.1:${srv.port}`]!.auth, 'base64').toString().split(':') as [string, string];
    assert.equal(user, 'robot+cluster');
    const t = await c.getToken({ user, pass: token }, ['repository:ocp4/release:pull,push']);
    assert.deepEqual(decodeJwt(t.json<TokenBody>().token).payload.access, [{ type: 'repository', name: 'ocp4/release', actions: ['pull'] }]);
    // no --registry: the address the running server is reached at (its listen address), not this machine's host name
    const pushEntry = JSON.parse(push.stdout.split('\n').find((l) => l.startsWith('{"auths"'))!) as { auths: Record<string, unknown> };
    assert.deepEqual(Object.keys(pushEntry.auths), [`127.0.0.1:${srv.port}`]);
    const pushToken = push.stdout.match(/token: {4}(\S+)/)![1]!;
    assert.equal((await c.pushImage('ocp4/release', 'v1', basic('robot+mirror', pushToken))).status, 201);
    const list = await runCli(['robot', 'list', ...dd()]);
    assert.match(list.stdout, /robot\+cluster\s+pull ocp4\/\*\*/);
    assert.match(list.stdout, /robot\+mirror\s+push ocp4\/\*\*,mirror\/\*/);
    const rot = await runCli(['robot', 'rotate', 'cluster', ...dd()]);
    assert.equal(rot.code, 0);
    assert.equal((await c.getToken({ user, pass: token }, [])).status, 401, 'the old token is dead');
    assert.equal((await runCli(['robot', 'add', 'cluster', '--pull', 'x/**', ...dd()])).code, 2, 'no duplicate robots');
    assert.equal((await runCli(['robot', 'add', 'nothing', ...dd()])).code, 2, 'a robot needs a glob');
  });

  it('user import takes bcrypt htpasswd entries and skips the rest', async () => {
    const file = join(dir, 'htpasswd');
    const hash = bcrypt.hashSync('carol-password', 5).replace(/^\$2b\$/, '$2y$');
    writeFileSync(file, `carol:${hash}\ndave:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n`);
    const r = await runCli(['user', 'import', file, '--pull', 'ocp4/**', ...dd()]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /imported 1 user/);
    assert.match(r.stderr, /dave: not a bcrypt hash/);
    assert.equal((await c.getToken({ user: 'carol', pass: 'carol-password' }, [])).status, 200);
  });

  it('cert renew re-issues from the same CA and the running server serves it at once', async () => {
    const caBefore = readFileSync(join(data, 'tls', 'ca.crt'), 'utf8');
    const before = new X509Certificate(readFileSync(join(data, 'tls', 'server.crt')));
    const r = await runCli(['cert', 'renew', '--san', 'new.example.test', ...dd()]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /SIGHUP/);
    assert.equal(readFileSync(join(data, 'tls', 'ca.crt'), 'utf8'), caBefore);
    const after = new X509Certificate(readFileSync(join(data, 'tls', 'server.crt')));
    assert.notEqual(after.serialNumber, before.serialNumber);
    assert.equal(after.checkHost('new.example.test'), 'new.example.test');
    assert.equal(after.checkHost('mirror.example.test'), 'mirror.example.test');
    let served = '';
    for (let i = 0; i < 50 && served !== after.serialNumber; i++) {
      await new Promise((res) => setTimeout(res, 100));
      served = await servedSerial(srv.port, caBefore);
    }
    assert.equal(served, after.serialNumber);
    const show = await runCli(['cert', 'show', ...dd()]);
    assert.match(show.stdout, /new\.example\.test/);
  });

  it('a start that cannot listen creates no admin (its password would be lost)', async () => {
    const other = join(dir, 'busy');
    await assert.rejects(startRegistry({ logLevel: 'silent', listen: `127.0.0.1:${srv.port}`, dataDir: other }), /EADDRINUSE/);
    const store = await openAuthStore(other);
    try {
      assert.equal(await store.count(), 0);
    } finally {
      await store.close();
    }
  });

  it('a second start prints no password and keeps the accounts', async () => {
    await srv.stop();
    srv = await startServe(['--data-dir', data]);
    assert.doesNotMatch(srv.output(), /store it now/);
    assert.doesNotMatch(srv.output(), /created now/);
    await c.close();
    c = new SecureClient(srv.url, join(data, 'tls', 'ca.crt'));
    assert.equal((await c.getToken({ user: 'admin', pass: adminPassword }, [])).status, 200);
  });

  it('--insecure-http alone stays open (as before); --insecure-http --auth requires logins', async () => {
    const open = await startServe(['--insecure-http', '--data-dir', join(dir, 'open')]);
    try {
      assert.match(open.output(), /WARNING: no authentication/);
      assert.equal((await fetch(`${open.url}/v2/`)).status, 200);
    } finally {
      await open.stop();
    }
    const authed = await startServe(['--insecure-http', '--auth', '--data-dir', join(dir, 'http-auth')]);
    try {
      const r = await fetch(`${authed.url}/v2/`);
      assert.equal(r.status, 401);
      assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer realm="http:\/\/127\.0\.0\.1:\d+\/token"/);
    } finally {
      await authed.stop();
    }
  });
});

async function servedSerial(port: number, ca: string): Promise<string> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', ca, agent: false }, (res) => {
      const cert = (res.socket as import('node:tls').TLSSocket).getPeerX509Certificate();
      res.resume();
      resolve(cert?.serialNumber ?? '');
    });
    req.on('error', reject);
    req.end();
  });
}
