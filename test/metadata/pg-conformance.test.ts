import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PgMetadataStore } from '../../src/metadata/postgres/pg-store.js';
import type { MetadataStore } from '../../src/metadata/store.js';
import { createTestDatabase, dropTestDatabase, pgGate } from '../helpers/pg.js';
import { metadataConformance } from './conformance.js';

const gate = pgGate();
if (gate.failure !== undefined) {
  describe('MetadataStore conformance: postgres', () => it('has a PostgreSQL to test against', () => assert.fail(gate.failure)));
} else if (gate.skip !== false) {
  describe('MetadataStore conformance: postgres', { skip: gate.skip }, () => undefined);
} else {
  const urls = new Map<MetadataStore, string>();
  metadataConformance('postgres', {
    async make() {
      const url = await createTestDatabase();
      const s = await PgMetadataStore.open(url);
      urls.set(s, url);
      return s;
    },
    async replica(s) {
      return PgMetadataStore.open(urls.get(s)!);
    },
    async cleanup(s) {
      await s.close();
      await dropTestDatabase(urls.get(s)!);
    },
  });
}
