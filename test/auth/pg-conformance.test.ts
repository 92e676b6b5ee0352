import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PgAuthStore } from '../../src/auth/postgres/pg-auth-store.js';
import type { AuthStore } from '../../src/auth/store.js';
import { createTestDatabase, dropTestDatabase, pgGate } from '../helpers/pg.js';
import { authConformance } from './conformance.js';

const gate = pgGate();
if (gate.failure !== undefined) {
  describe('AuthStore conformance: postgres', () => it('has a PostgreSQL to test against', () => assert.fail(gate.failure)));
} else if (gate.skip !== false) {
  describe('AuthStore conformance: postgres', { skip: gate.skip }, () => undefined);
} else {
  const urls = new Map<AuthStore, string>();
  authConformance('postgres', {
    async make() {
      const url = await createTestDatabase();
      const s = await PgAuthStore.open(url);
      urls.set(s, url);
      return s;
    },
    async replica(s) {
      return PgAuthStore.open(urls.get(s)!);
    },
    async cleanup(s) {
      await s.close();
      await dropTestDatabase(urls.get(s)!);
    },
  });
}
