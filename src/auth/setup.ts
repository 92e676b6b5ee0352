/**
 * Builds the authenticated registry's pieces from the data directory:
 *
 *   <dataDir>/auth/auth.db     accounts (SQLite, 0600)
 *   <dataDir>/auth/token.key   ES256 token signing key (0600)
 *
 * or, with `--metadata postgres://…`, all of it in PostgreSQL (PgAuthStore),
 * shared by every replica: accounts, refresh tokens, login-failure counters,
 * console sessions and the token signing key (stored once, first replica
 * wins: see signing-key.ts `sharedSigningKey`).
 *
 * On first start (no accounts at all) `bootstrapAdmin` creates an `admin`
 * account with a random password, returned once for printing and stored only
 * as a bcrypt hash. The server calls it after it is listening, so a start that
 * fails (port in use…) never swallows the only copy of the password. On a
 * shared store the creation is atomic (AuthStore.addFirst): of N replicas
 * starting together exactly one creates admin and prints its password; the
 * others use that account.
 */
import { join } from 'node:path';
import { AuditLog } from './audit.js';
import { Authenticator } from './authenticator.js';
import type { ChallengeOptions } from './challenge.js';
import { hashSecret, randomPassword } from './passwords.js';
import { DEFAULT_LOGIN_LIMITS, LoginLimiter } from './rate-limit.js';
import { loadOrCreateSigningKey, sharedSigningKey } from './signing-key.js';
import { SqliteAuthStore } from './sqlite-auth-store.js';
import type { AuthStore, Grants } from './store.js';
import { TokenAccess } from './token-access.js';
import { TokenEndpoint } from './token-endpoint.js';
import { TokenIssuer } from './tokens.js';

export const ADMIN = 'admin';

export function authPaths(dataDir: string): { dir: string; db: string; signingKey: string } {
  const dir = join(dataDir, 'auth');
  return { dir, db: join(dir, 'auth.db'), signingKey: join(dir, 'token.key') };
}

/** The accounts `airlock serve` uses: PostgreSQL for a postgres:// `metadataUrl`, else the data directory's auth.db. */
export async function openAuthStore(dataDir: string, metadataUrl?: string, opts: { onError?: (e: Error) => void } = {}): Promise<AuthStore> {
  if (metadataUrl === undefined) return new SqliteAuthStore(authPaths(dataDir).db);
  if (!/^postgres(ql)?:\/\//.test(metadataUrl)) throw new Error('--metadata: expected postgres://USER@HOST:PORT/DATABASE');
  // Loaded only for a postgres:// URL (pg stays out of a SQLite server's memory).
  const { PgAuthStore } = await import('./postgres/pg-auth-store.js');
  try {
    return await PgAuthStore.open(metadataUrl, opts);
  } catch (e) {
    throw new Error(`${(e as Error).message}; check --metadata and that PostgreSQL is running`, { cause: e });
  }
}

/** Creates `admin` with a random password when there is no account at all (atomically: one of N replicas); returns that password. */
export async function bootstrapAdmin(store: AuthStore): Promise<string | undefined> {
  if ((await store.count()) > 0) return undefined;
  const password = randomPassword();
  const created = await store.addFirst({ name: ADMIN, kind: 'user', secretHash: await hashSecret(password), admin: true, pull: [], push: [] });
  return created ? password : undefined;
}

export interface AuthSettings {
  readonly anonymousPull: readonly string[];
  readonly tokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  readonly loginFailureLimit: number;
  readonly loginFailureWindowSeconds: number;
  readonly loginUserFailureLimit: number;
  readonly loginUserFailureWindowSeconds: number;
  readonly challenge: ChallengeOptions;
}

export interface RegistryAuth {
  readonly access: TokenAccess;
  readonly endpoint: TokenEndpoint;
  readonly audit: AuditLog;
  readonly store: AuthStore;
  /** Password/token logins (the console's login uses it too: same limits, same audit). */
  readonly authn: Authenticator;
  /** Set only on the start that created the admin account (by the server, after listening). */
  readonly adminPassword?: string;
  close(): Promise<void>;
}

export async function setupAuth(dataDir: string, s: AuthSettings, metadataUrl?: string, opts: { onError?: (e: Error) => void } = {}): Promise<RegistryAuth> {
  const paths = authPaths(dataDir);
  const store = await openAuthStore(dataDir, metadataUrl, opts);
  try {
    const key = metadataUrl === undefined ? await loadOrCreateSigningKey(paths.signingKey) : await sharedSigningKey(store);
    const tokens = new TokenIssuer(key, {
      issuer: 'airlock',
      service: s.challenge.service,
      ttlSeconds: s.tokenTtlSeconds,
      refreshTtlSeconds: s.refreshTokenTtlSeconds,
    });
    const audit = new AuditLog();
    const limiter = new LoginLimiter(
      {
        ...DEFAULT_LOGIN_LIMITS,
        limit: s.loginFailureLimit,
        windowMs: s.loginFailureWindowSeconds * 1000,
        userLimit: s.loginUserFailureLimit,
        userWindowMs: s.loginUserFailureWindowSeconds * 1000,
      },
      Date.now,
      store,
    );
    const authn = new Authenticator(store, limiter, audit);
    const anonymous: Grants = { admin: false, pull: [...s.anonymousPull], push: [] };
    return {
      access: new TokenAccess({ store, authn, tokens, anonymous, challenge: s.challenge }),
      endpoint: new TokenEndpoint({ store, authn, tokens, anonymous, audit }),
      audit,
      store,
      authn,
      close: () => store.close(),
    };
  } catch (e) {
    await store.close();
    throw e;
  }
}
