/**
 * Logins while PostgreSQL is unreachable: one `airlock serve --auth` whose
 * metadata and auth state are in PostgreSQL, reached through a TCP proxy
 * (test/helpers/tcp-proxy.ts) that the test cuts, so the shared PostgreSQL
 * is never stopped. While cut, the token endpoint (GET with Basic, POST
 * grant_type=password) and the console login (POST /api/v1/session) answer
 * 503 UNAVAILABLE with Retry-After and a one-line JSON error, never a 500,
 * and the process stays up; once the proxy reopens, the same logins succeed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAirlockProcess, type AirlockProcess } from '../helpers/airlock-process.js';
import { createTestDatabase, dropTestDatabase, pgGate } from '../helpers/pg.js';
import { cuttableProxy, type CuttableProxy } from '../helpers/tcp-proxy.js';

const gate = pgGate();
const basic = (user: string, pw: string): string => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

interface Answer {
  status: number;
  retryAfter: string | null;
  text: string;
}

describe('logins while PostgreSQL is unreachable', { skip: gate.skip }, () => {
  if (gate.failure !== undefined) {
    it('has a PostgreSQL to test against', () => assert.fail(gate.failure));
    return;
  }
  let dbUrl: string;
  let proxy: CuttableProxy;
  let reg: AirlockProcess;
  let adminPw: string;

  const answer = async (res: Response): Promise<Answer> => ({ status: res.status, retryAfter: res.headers.get('retry-after'), text: await res.text() });
  const logins: Record<string, () => Promise<Answer>> = {
    'GET /token with Basic': async () => answer(await fetch(`${reg.url}/token?service=airlock&scope=repository:a/b:pull`, { headers: { authorization: basic('admin', adminPw) } })),
    'POST /token grant_type=password': async () => answer(await fetch(`${reg.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username: 'admin', password: adminPw, service: 'airlock', client_id: 'test' }).toString(),
    })),
    'POST /api/v1/session (console login)': async () => answer(await fetch(`${reg.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: adminPw }),
    })),
  };

  before(async () => {
    dbUrl = await createTestDatabase();
    const u = new URL(dbUrl);
    proxy = await cuttableProxy(Number(u.port));
    u.port = String(proxy.port);
    reg = await startAirlockProcess({ args: ['--auth', '--no-gc', '--metadata', u.toString()] });
    const m = reg.stdout().match(/store it now:\n\s+(\S+)\n/);
    assert.ok(m, `admin's password is printed at the first start:\n${reg.stdout()}`);
    adminPw = m[1]!;
  });
  after(async () => {
    await reg?.stop();
    // Closes the proxy's listener and connections (the test process would otherwise stay up).
    await proxy?.cut();
    if (dbUrl) await dropTestDatabase(dbUrl);
  });

  it('every login succeeds while PostgreSQL is reachable', async () => {
    for (const [name, login] of Object.entries(logins)) {
      const r = await login();
      assert.ok(r.status === 200 || r.status === 201, `${name}: ${r.status} ${r.text}`);
    }
  });

  it('cut off: every login answers 503 UNAVAILABLE with Retry-After and one JSON line, and the process lives', async () => {
    await proxy.cut();
    for (const [name, login] of Object.entries(logins)) {
      const r = await login();
      assert.equal(r.status, 503, `${name}: ${r.status} ${r.text}`);
      assert.ok(Number(r.retryAfter) > 0, `${name}: Retry-After ${r.retryAfter}`);
      assert.ok(!r.text.trim().includes('\n'), `${name}: one line: ${r.text}`);
      const body = JSON.parse(r.text) as { errors: { code: string; message: string }[] };
      assert.equal(body.errors[0]!.code, 'UNAVAILABLE', name);
      assert.doesNotMatch(body.errors[0]!.message, /airlocktestpw|password=|\bat \S+:\d+/, `${name}: no secret or stack: ${r.text}`);
    }
    assert.equal(reg.running, true, `the process is still running:\n${reg.stderr().slice(-2000)}`);
  });

  it('reopened: the same logins succeed again', async () => {
    await proxy.open();
    for (const [name, login] of Object.entries(logins)) {
      let r = await login();
      for (let i = 0; i < 50 && r.status === 503; i++) {
        await sleep(200);
        r = await login();
      }
      assert.ok(r.status === 200 || r.status === 201, `${name}: ${r.status} ${r.text}`);
    }
  });
});
