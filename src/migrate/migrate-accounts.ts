/**
 * The accounts part of `airlock migrate`: the embedded install's auth state
 * (auth-source.ts) into the destination's AuthStore (PostgreSQL), through
 * AccountImportStore, so a re-run after any interruption converges:
 * - users and robots verbatim: id, bcrypt hash (never re-hashed, never
 *   printed), grants and generation, so tokens issued by the embedded
 *   server stay bound to the same identity. An account changed at the
 *   source since the last run (higher generation) replaces the copy; one
 *   whose name or id another identity holds at the destination (e.g. the
 *   `admin` a replica created on an empty store) is reported and left;
 * - unexpired refresh tokens and revoked families, so clients holding a
 *   refresh token (docker's identity token) keep it, single use preserved;
 * - the token signing key and the managed CA, offered insert-if-absent to
 *   the shared secrets: when no replica ran yet they become the replicas'
 *   (tokens verify on every replica, clients keep trusting the same
 *   ca.crt); a destination that already has its own keeps it (replicas
 *   hold their key in memory), and the report says so.
 * Not carried: console sessions (sign in again) and login-failure counters
 * (windows of minutes, started afresh).
 */
import { createPrivateKey } from 'node:crypto';
import { signingKeyFrom, SIGNING_KEY_SECRET } from '../auth/signing-key.js';
import type { AccountImport, AuthStore } from '../auth/store.js';
import { CA_SECRET } from '../tls/shared-ca.js';
import type { AuthSnapshot } from './auth-source.js';

/** `shared`: the destination now uses the source's; `kept`: it had its own and keeps it; `none`: the source has none. */
export type SecretOutcome = 'shared' | 'kept' | 'none';

export interface AccountsReport {
  /** false: the source has no auth.db (it never ran with authentication). */
  source: boolean;
  accounts: { total: number; added: number; updated: number; present: number; conflicts: { name: string; reason: string }[] };
  refreshTokens: { copied: number; skipped: number };
  revokedFamilies: number;
  signingKey: SecretOutcome;
  ca: SecretOutcome;
}

const CONFLICT = 'another account of that name (or identity) exists at the destination; remove it there (airlock user remove NAME --metadata …) and run migrate again to take the embedded one';

async function offer(dest: AuthStore, name: string, value: string | undefined, same: (stored: string) => boolean): Promise<SecretOutcome> {
  if (value === undefined) return 'none';
  return same(await dest.secret(name, value)) ? 'shared' : 'kept';
}

export async function migrateAccounts(src: AuthSnapshot | undefined, dest: AuthStore): Promise<AccountsReport> {
  const report: AccountsReport = {
    source: src !== undefined,
    accounts: { total: 0, added: 0, updated: 0, present: 0, conflicts: [] },
    refreshTokens: { copied: 0, skipped: 0 },
    revokedFamilies: 0,
    signingKey: 'none',
    ca: 'none',
  };
  if (!src) return report;
  const a = report.accounts;
  a.total = src.accounts.length;
  for (const acc of src.accounts) {
    const outcome: AccountImport = await dest.importAccount(acc);
    if (outcome === 'conflict') a.conflicts.push({ name: acc.name, reason: CONFLICT });
    else a[outcome]++;
  }
  for (const r of src.revokedFamilies) await dest.importRevoked(r.family, r.revokedAt);
  report.revokedFamilies = src.revokedFamilies.length;
  for (const t of src.refreshTokens) {
    if (await dest.importRefresh(t.record, t.usedAt)) report.refreshTokens.copied++;
    else report.refreshTokens.skipped++;
  }
  let key = src.signingKey;
  if (key !== undefined) {
    // Only a valid key is offered: a broken token.key must not become every replica's.
    try {
      await signingKeyFrom(createPrivateKey(key));
    } catch {
      key = undefined;
    }
  }
  report.signingKey = await offer(dest, SIGNING_KEY_SECRET, key, (stored) => stored === key);
  const ca = src.ca;
  report.ca = await offer(dest, CA_SECRET, ca && JSON.stringify(ca), (stored) => {
    const v = JSON.parse(stored) as { cert?: string; key?: string };
    return v.cert === ca!.cert && v.key === ca!.key;
  });
  return report;
}
