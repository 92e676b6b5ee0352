import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteAuthStore } from '../../src/auth/sqlite-auth-store.js';
import type { AuthStore } from '../../src/auth/store.js';
import { authConformance } from './conformance.js';

const dirs = new Map<AuthStore, string>();
authConformance('sqlite', {
  async make() {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-authconf-'));
    const s = new SqliteAuthStore(join(dir, 'auth.db'));
    dirs.set(s, dir);
    return s;
  },
  // A second connection to the same file: what the CLI is to a running server.
  async replica(s) {
    return new SqliteAuthStore(join(dirs.get(s)!, 'auth.db'));
  },
  async cleanup(s) {
    await s.close();
    rmSync(dirs.get(s)!, { recursive: true, force: true });
  },
});
