/**
 * Regression: a pooled connection that PostgreSQL ends while airlock holds
 * it between two queries (a blob lock held across a storage write, when
 * PostgreSQL restarts: 57P01) used to emit an unhandled 'error' event that
 * ended the whole replica. Now the holder's work finishes, the unlock fails
 * quietly, the broken client is discarded, and the next lock works.
 * And a lock that cannot reach PostgreSQL at all (down, or shutting down:
 * 57P03) fails with MetadataUnavailableError (a 503), not a raw driver
 * error (which the registry answered with 500).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createPool } from '../../src/metadata/postgres/pg-connect.js';
import { PgAdvisoryLocks, PgSharedLocks } from '../../src/metadata/postgres/pg-locks.js';
import { MetadataUnavailableError } from '../../src/metadata/store.js';
import { freePort } from '../helpers/airlock-process.js';
import { createTestDatabase, dropTestDatabase, pgGate } from '../helpers/pg.js';

const gate = pgGate();

describe('a PostgreSQL connection ended while a lock holds it', { skip: gate.skip }, () => {
  if (gate.failure !== undefined) {
    it('has a PostgreSQL to test against', () => assert.fail(gate.failure));
    return;
  }
  let url: string;
  let pool: pg.Pool;
  let admin: pg.Client;
  before(async () => {
    url = await createTestDatabase();
    pool = createPool({ url, max: 2 });
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
  });
  after(async () => {
    await admin?.end();
    await pool?.end();
    if (url) await dropTestDatabase(url);
  });

  for (const how of ['run', 'tryRun'] as const) {
    it(`${how}: the holder finishes, the process lives on, and the next lock works`, async () => {
      const locks = new PgAdvisoryLocks(pool, 'lost-test');
      const terminateHolder = async () => {
        const r = await admin.query<{ n: number }>(
          `SELECT count(pg_terminate_backend(l.pid))::int AS n FROM pg_locks l
            WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`);
        assert.equal(r.rows[0]!.n, 1, 'one connection held the lock');
        // Give the 57P01 message time to reach the idle, checked-out client.
        await new Promise((res) => setTimeout(res, 300));
        return 'finished';
      };
      const out = how === 'run' ? await locks.run('k', terminateHolder) : await locks.tryRun('k', terminateHolder);
      assert.equal(out, 'finished');
      assert.equal(await locks.run('k', async () => 'again'), 'again');
      assert.equal(pool.totalCount <= 2, true);
    });
  }

  it('a lock that cannot reach PostgreSQL fails with MetadataUnavailableError', async () => {
    const u = new URL(url);
    u.port = String(await freePort());
    const down = createPool({ url: u.toString(), max: 1 });
    try {
      const fn = async () => assert.fail('ran without the lock');
      await assert.rejects(new PgAdvisoryLocks(down, 'down-test').run('k', fn), MetadataUnavailableError);
      await assert.rejects(new PgAdvisoryLocks(down, 'down-test').tryRun('k', fn), MetadataUnavailableError);
      await assert.rejects(new PgSharedLocks(down, 'down-test').run('k', fn), MetadataUnavailableError);
    } finally {
      await down.end();
    }
  });
});
