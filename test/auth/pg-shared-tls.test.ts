/**
 * Two in-process registries with TLS and authentication on one PostgreSQL,
 * started together: one creates admin, both serve certificates from one CA
 * (tls/shared-ca.ts), so a client trusting either data directory's ca.crt
 * reaches both; a replica whose data directory held another CA adopts the
 * shared one.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startRegistry, type RunningRegistry } from '../../src/server/start.js';
import { ensureManagedTls, tlsPaths } from '../../src/tls/managed-tls.js';
import { createTestDatabase, dropTestDatabase, pgGate } from '../helpers/pg.js';

const gate = pgGate();

/** GET `path` over HTTPS trusting only `ca`; the status. */
function get(port: number, path: string, ca: string): Promise<number> {
  return new Promise((res, rej) => {
    const r = request({ host: '127.0.0.1', port, path, ca, servername: 'localhost' }, (m) => {
      m.resume();
      res(m.statusCode ?? 0);
    });
    r.on('error', rej);
    r.end();
  });
}

describe('shared bootstrap on PostgreSQL: admin once, one CA', { skip: gate.skip }, () => {
  if (gate.failure !== undefined) {
    it('has a PostgreSQL to test against', () => assert.fail(gate.failure));
    return;
  }
  let work: string;
  let dbUrl: string;
  let regs: RunningRegistry[] = [];
  const start = (dataDir: string) => startRegistry({ logLevel: 'silent', listen: '127.0.0.1:0', dataDir, metadata: dbUrl, gc: { enabled: false } });
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-shared-tls-'));
    dbUrl = await createTestDatabase();
  });
  after(async () => {
    await Promise.all(regs.map((r) => r.close()));
    if (dbUrl) await dropTestDatabase(dbUrl);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('two replicas started together: exactly one admin password, one CA, each reachable trusting the other\'s ca.crt', async () => {
    regs = await Promise.all([start(join(work, 'a')), start(join(work, 'b'))]);
    assert.equal(regs.filter((r) => r.auth?.adminPassword !== undefined).length, 1);
    const [caA, caB] = ['a', 'b'].map((d) => readFileSync(tlsPaths(join(work, d)).caCert, 'utf8'));
    assert.equal(caA, caB, 'one CA');
    assert.equal(await get(regs[1]!.port, '/v2/', caA!), 401);
    assert.equal(await get(regs[0]!.port, '/v2/', caB!), 401);
  });

  it('a replica whose data directory already had its own CA adopts the shared one and re-issues its certificate', async () => {
    const dir = join(work, 'c');
    await ensureManagedTls(dir);
    const own = readFileSync(tlsPaths(dir).caCert, 'utf8');
    const r = await start(dir);
    regs.push(r);
    const shared = readFileSync(tlsPaths(join(work, 'a')).caCert, 'utf8');
    assert.notEqual(own, shared);
    assert.equal(readFileSync(tlsPaths(dir).caCert, 'utf8'), shared);
    assert.match(r.tls?.managed?.issued ?? '', /not issued by the current CA/);
    assert.equal(await get(r.port, '/v2/', shared), 401);
    assert.equal(r.auth?.adminPassword, undefined);
  });
});
