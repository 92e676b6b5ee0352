import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMetadataStore } from '../../src/metadata/sqlite/sqlite-metadata-store.js';
import type { MetadataStore } from '../../src/metadata/store.js';
import { metadataConformance } from './conformance.js';

const dirs = new Map<MetadataStore, string>();
metadataConformance('sqlite', {
  async make() {
    const dir = await mkdtemp(join(tmpdir(), 'airlock-meta-conf-'));
    const s = new SqliteMetadataStore(join(dir, 'metadata.db'));
    dirs.set(s, dir);
    return s;
  },
  // SQLite serves one process: its blob locks are that process's, so the replica is the store itself.
  async replica(s) {
    return s;
  },
  async cleanup(s) {
    await s.close();
    await rm(dirs.get(s)!, { recursive: true, force: true });
  },
});
