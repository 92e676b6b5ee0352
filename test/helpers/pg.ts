import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { peerGate, type PeerGate } from '../interop/support/peers.js';

/** The test PostgreSQL (scripts/services/pg-up.sh exports it), or undefined. */
export function pgTestUrl(): string | undefined {
  return process.env.AIRLOCK_TEST_PG_URL || undefined;
}

export function pgGate(): PeerGate {
  return peerGate([pgTestUrl() ? undefined : 'PostgreSQL: AIRLOCK_TEST_PG_URL is unset (eval "$(scripts/services/pg-up.sh)")']);
}

/** Creates an empty database on the test server; returns its URL. Drop it with dropTestDatabase. */
export async function createTestDatabase(base = pgTestUrl()!): Promise<string> {
  const name = `airlock_t_${randomBytes(6).toString('hex')}`;
  const c = new pg.Client({ connectionString: base });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function dropTestDatabase(url: string, base = pgTestUrl()!): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  if (!/^airlock_t_[0-9a-f]{12}$/.test(name)) throw new Error(`not a test database: ${name}`);
  const c = new pg.Client({ connectionString: base });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await c.end();
  }
}
