/**
 * Every registry-facing command turns network, TLS and HTTP failures into
 * one `error:` line with no stack trace: against a closed loopback port, a
 * plain-HTTP registry without --insecure, and a certificate from a CA the
 * client was not told to trust.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { runAirlockCli } from '../helpers/airlock-process.js';

async function closedPort(): Promise<string> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return `127.0.0.1:${port}`;
}

function commands(host: string, work: string): string[][] {
  return [
    ['release', 'info', `${host}/ocp/release:4.12.0`],
    ['release', 'mirror', '--dry-run', `--from=${host}/ocp/release:4.12.0`, `--to=${host}/mirror/release`],
    ['release', 'extract', '--command=oc', `--to=${join(work, 'extract')}`, `${host}/ocp/release:4.12.0`],
    ['image', 'info', `${host}/app/one:v1`],
    ['image', 'mirror', '--retry-times=0', `${host}/app/one:v1`, `${host}/app/two:v1`],
    ['catalog', 'list', `${host}/redhat/index:v4.12`],
    ['catalog', 'mirror', '--manifests-only', `--to-manifests=${join(work, 'manifests')}`, `${host}/redhat/index:v4.12`, `${host}/mirror`],
  ];
}

describe('CLI network, TLS and HTTP failures', () => {
  let work: string;
  let plain: AirlockHandle;
  let tls: AirlockHandle;
  let closed: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-net-failures-'));
    plain = await startAirlock();
    tls = await startAirlock({ auth: 'token' });
    closed = await closedPort();
  });
  after(async () => {
    await plain.close();
    await tls.close();
    await rm(work, { recursive: true, force: true });
  });

  const cases: [string, () => string, RegExp][] = [
    ['an unreachable loopback port', () => closed, /ECONNREFUSED/],
    ['a plain-HTTP registry without --insecure', () => plain.hostPort, /does not speak TLS|plain http/],
    ['an untrusted TLS certificate', () => tls.hostPort, /not trusted|certificate/],
  ];
  for (const [what, host, cause] of cases) {
    it(`each command exits non-zero with one error line against ${what}`, async () => {
      for (const args of commands(host(), work)) {
        const r = await runAirlockCli(args, { cwd: work, timeoutMs: 60_000 });
        const shown = `airlock ${args.join(' ')}\n${r.stderr}`;
        assert.ok(r.code !== 0 && r.code !== null, shown);
        const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
        assert.equal(errors.length, 1, shown);
        assert.match(errors[0]!, cause, shown);
        assert.doesNotMatch(r.stderr, /^ {4}at /m, shown);
      }
    });
  }
});
