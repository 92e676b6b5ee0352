/**
 * A read-only view of an embedded install's auth state, for `airlock
 * migrate`: `<data-dir>/auth/auth.db` (opened `readonly`: a running
 * `airlock serve` keeps serving, nothing is written), the token signing key
 * `auth/token.key` and the managed CA `tls/ca.{crt,key}`. Everything is
 * read in one read transaction, so accounts and refresh tokens agree.
 * Secrets and hashes are carried, never printed.
 */
import { existsSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { toAccount, type AccountRow } from '../auth/account-row.js';
import { AUTH_MIGRATIONS } from '../auth/migrations.js';
import { authPaths } from '../auth/setup.js';
import type { Account, RefreshRecord } from '../auth/store.js';
import { tlsPaths } from '../tls/managed-tls.js';

export interface AuthSnapshot {
  readonly accounts: Account[];
  /** Unexpired refresh tokens, with when they were used (single use: a used one is kept to recognise a replay). */
  readonly refreshTokens: { readonly record: RefreshRecord; readonly usedAt?: number }[];
  readonly revokedFamilies: { readonly family: string; readonly revokedAt: number }[];
  /** PKCS#8 PEM of the token signing key, when the install has one. */
  readonly signingKey?: string;
  /** The managed CA (certificate and key PEM), when the install has one. */
  readonly ca?: { readonly cert: string; readonly key: string };
}

/** The auth state of the embedded install in `dataDir`; undefined when it has none (it never ran with authentication). */
export function readAuthSource(dataDir: string, now: number): AuthSnapshot | undefined {
  const p = authPaths(dataDir);
  const tls = tlsPaths(dataDir);
  const ca = existsSync(tls.caCert) && existsSync(tls.caKey) ? { cert: readFileSync(tls.caCert, 'utf8'), key: readFileSync(tls.caKey, 'utf8') } : undefined;
  if (!existsSync(p.db)) return undefined;
  const db = new Database(p.db, { readonly: true, fileMustExist: true });
  try {
    return db.transaction((): AuthSnapshot => {
      const version = (db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
      if (version !== AUTH_MIGRATIONS.length) {
        throw new Error(`${p.db} has schema version ${version}, this airlock reads ${AUTH_MIGRATIONS.length}: run \`airlock user list --data-dir ${dataDir}\` once with this airlock to upgrade it, then migrate again`);
      }
      const accounts = (db.prepare('SELECT * FROM accounts ORDER BY kind, name').all() as AccountRow[]).map(toAccount);
      const tokens = db.prepare('SELECT jti, family, account_id, expires_at, used_at FROM refresh_tokens WHERE expires_at > ? ORDER BY jti').all(now) as
        { jti: string; family: string; account_id: string; expires_at: number; used_at: number | null }[];
      const revoked = db.prepare('SELECT family, revoked_at FROM refresh_revoked ORDER BY family').all() as { family: string; revoked_at: number }[];
      return {
        accounts,
        refreshTokens: tokens.map((t) => ({
          record: { jti: t.jti, family: t.family, accountId: t.account_id, expiresAt: t.expires_at },
          ...(t.used_at !== null ? { usedAt: t.used_at } : {}),
        })),
        revokedFamilies: revoked.map((r) => ({ family: r.family, revokedAt: r.revoked_at })),
        ...(existsSync(p.signingKey) ? { signingKey: readFileSync(p.signingKey, 'utf8') } : {}),
        ...(ca ? { ca } : {}),
      };
    })();
  } finally {
    db.close();
  }
}
