/**
 * The client address behind a balancer (--trusted-proxy): Debian's HAProxy
 * with `option forwardfor` in front of an `airlock serve` with auth on and
 * a login limit of 3 failures per (address, user), on loopback. Clients
 * connect from distinct loopback addresses (127.0.0.2, …):
 * - two clients behind HAProxy have separate limits (each is its own
 *   forwarded address), and the audit and access lines name them;
 * - a client talking to airlock directly, not a trusted proxy, cannot
 *   escape its limit with a forged X-Forwarded-For, nor can one behind
 *   HAProxy (HAProxy appends; the entry it wrote is the one read).
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { runAirlockCli, startAirlockProcess, type AirlockProcess } from '../helpers/airlock-process.js';
import { haproxyAvailable, startHaproxy, type Haproxy } from '../helpers/haproxy.js';
import { peerGate } from '../interop/support/peers.js';

const gate = peerGate([haproxyAvailable() ? undefined : 'haproxy (apt-get install haproxy)']);
const PW = 'alice-proxy-password-1';
const LIMIT = 3;
const basic = (user: string, pw: string): string => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

/** GET /token as alice from the loopback address `from`; the status. */
function login(port: number, from: string, password: string, forwardedFor?: string): Promise<number> {
  return new Promise((res, rej) => {
    const req = request({
      host: '127.0.0.1', port, path: '/token?service=airlock', localAddress: from, agent: false,
      headers: { authorization: basic('alice', password), ...(forwardedFor !== undefined ? { 'x-forwarded-for': forwardedFor } : {}) },
    }, (r) => {
      r.resume();
      r.on('end', () => res(r.statusCode!));
    });
    req.on('error', rej);
    req.end();
  });
}

describe('client addresses behind HAProxy (--trusted-proxy)', { skip: gate.skip }, () => {
  if (gate.failure !== undefined) {
    it('has HAProxy', () => assert.fail(gate.failure));
    return;
  }
  let work: string;
  let reg: AirlockProcess;
  let lb: Haproxy;
  /** Waits (up to 5 s) until the server's output matches `re` (log lines are written after the answer). */
  const logged = async (re: RegExp): Promise<void> => {
    for (let i = 0; i < 50 && !re.test(reg.stdout() + reg.stderr()); i++) await sleep(100);
  };
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-trusted-proxy-'));
    const dataDir = join(work, 'data');
    await mkdir(dataDir);
    const add = await runAirlockCli(['user', 'add', 'alice', '--pull', '**', '--data-dir', dataDir], { stdin: `${PW}\n` });
    assert.equal(add.code, 0, add.stderr);
    const config = join(work, 'airlock.yaml');
    await writeFile(config, `auth:\n  loginFailureLimit: ${LIMIT}\n  loginFailureWindowSeconds: 600\n`);
    reg = await startAirlockProcess({ dataDir, logLevel: 'info', args: ['--auth', '--no-gc', '--config', config, '--trusted-proxy', '127.0.0.1/32'] });
    lb = await startHaproxy([reg.hostPort], { forwardFor: true });
  });
  after(async () => {
    await lb?.stop();
    await reg?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('two clients behind HAProxy have separate limits, and the logs name each', async () => {
    for (let i = 0; i < LIMIT; i++) assert.equal(await login(lb.port, '127.0.0.2', 'wrong'), 401);
    assert.equal(await login(lb.port, '127.0.0.2', PW), 429, 'client .2 reached its limit');
    assert.equal(await login(lb.port, '127.0.0.3', PW), 200, 'client .3 behind the same balancer is not limited by .2');
    await logged(/"url":"\/token"[^\n]*"client":"127\.0\.0\.3"/);
    const out = reg.stdout() + reg.stderr();
    assert.match(out, /"audit":"login","user":"alice","ip":"127\.0\.0\.2","via":"token","ok":false/);
    assert.match(out, /"audit":"login","user":"alice","ip":"127\.0\.0\.3","via":"token","ok":true/);
    assert.match(out, /"url":"\/token"[^\n]*"client":"127\.0\.0\.3"/);
  });

  it('a direct client forging X-Forwarded-For does not escape its limit', async () => {
    for (let i = 0; i < LIMIT; i++) assert.equal(await login(reg.port, '127.0.0.4', 'wrong', `198.51.100.${i + 1}`), 401);
    assert.equal(await login(reg.port, '127.0.0.4', PW, '198.51.100.99'), 429);
    assert.equal(await login(reg.port, '127.0.0.4', PW), 429);
    await logged(/"client":"127\.0\.0\.4","msg":"request"/);
    const out = reg.stdout() + reg.stderr();
    assert.doesNotMatch(out, /"ip":"198\.51\.100\./, 'a forged address is never believed');
    assert.match(out, /"audit":"login","user":"alice","ip":"127\.0\.0\.4"/);
  });

  it('a client behind HAProxy forging X-Forwarded-For does not escape its limit either', async () => {
    for (let i = 0; i < LIMIT; i++) assert.equal(await login(lb.port, '127.0.0.5', 'wrong', `203.0.113.${i + 1}`), 401);
    assert.equal(await login(lb.port, '127.0.0.5', PW, '203.0.113.77'), 429);
    assert.doesNotMatch(reg.stdout() + reg.stderr(), /"ip":"203\.0\.113\./);
    assert.equal(await login(lb.port, '127.0.0.6', PW, '127.0.0.5'), 200, 'naming a limited client does not limit you either');
  });
});
