/**
 * An account as both auth stores keep it in a row (SQLite stores `admin` as
 * 0/1, PostgreSQL as a boolean; the globs are JSON arrays), and its mapping
 * to the store's `Account`.
 */
import type { Account, AccountImport } from './store.js';

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

/**
 * What importing `a` does, given the account of its name here (if any) and
 * whether its id belongs to another name here (AccountImportStore).
 */
export function importOutcome(a: Account, byName: Account | undefined, idElsewhere: boolean): AccountImport {
  if (byName === undefined) return idElsewhere ? 'conflict' : 'added';
  if (byName.id !== a.id) return 'conflict';
  return byName.generation < a.generation ? 'updated' : 'present';
}

/** The row columns of `a` in INSERT order: name, id, kind, secret_hash, admin, pull, push, generation, created_at, updated_at. */
export function accountColumns(a: Account, admin: number | boolean): unknown[] {
  return [a.name, a.id, a.kind, a.secretHash, admin, JSON.stringify(a.pull), JSON.stringify(a.push), a.generation, a.createdAt, a.updatedAt];
}
