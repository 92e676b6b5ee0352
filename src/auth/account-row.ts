/**
 * An account as both auth stores keep it in a row (SQLite stores `admin` as
 * 0/1, PostgreSQL as a boolean; the globs are JSON arrays), and its mapping
 * to the store's `Account`.
 */
import type { Account } from './store.js';

export interface AccountRow {
  name: string;
  id: string;
  kind: 'user' | 'robot';
  secret_hash: string;
  admin: number | boolean;
  pull: string;
  push: string;
  generation: number;
  created_at: number;
  updated_at: number;
}

/** How long a revoked family is remembered: longer than any token issuance in flight could take. */
export const REVOKED_KEEP_MS = 86_400_000;

const globs = (json: string): string[] => {
  const v: unknown = JSON.parse(json);
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
};

export function toAccount(r: AccountRow): Account {
  return {
    name: r.name,
    id: r.id,
    kind: r.kind,
    secretHash: r.secret_hash,
    admin: r.admin === true || r.admin === 1,
    pull: globs(r.pull),
    push: globs(r.push),
    generation: r.generation,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
