/**
 * Schema of auth.db (separate from metadata.db, which holds content only).
 * Applied in order, one transaction each, recorded in schema_migrations.
 * Never edit a released migration: add one.
 *
 *   accounts(name, id, kind, secret_hash, admin, pull, push, generation, …)
 *     pull/push are JSON arrays of repository globs; `id` is a random
 *     identity never given to another account (a name can be reused after
 *     removal, an id cannot), which every token is bound to
 *   refresh_tokens(jti, family, account_id, expires_at, used_at)
 *     every refresh token issued; a used one is kept (used_at set) until it
 *     expires so that a replay is recognised and revokes its family
 *   refresh_revoked(family, revoked_at)
 *     families revoked by a replay, so that a token of the family being
 *     issued at that very moment is never recorded (kept a day)
 *   auth_secrets(name, value)
 *     named shared secrets (created once, first writer wins)
 *   login_failures(key, window_start, window_ms, failures)
 *     login-failure windows (store.ts LoginCounterStore)
 *   console_sessions(id_hash, account_id, name, generation, csrf, last_seen)
 *     console sessions, keyed by the SHA-256 of the cookie
 */
export const AUTH_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE accounts (
    name TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('user', 'robot')),
    secret_hash TEXT NOT NULL,
    admin INTEGER NOT NULL DEFAULT 0,
    pull TEXT NOT NULL DEFAULT '[]',
    push TEXT NOT NULL DEFAULT '[]',
    generation INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  `
  ALTER TABLE accounts ADD COLUMN id TEXT NOT NULL DEFAULT '';
  UPDATE accounts SET id = lower(hex(randomblob(16)));
  CREATE UNIQUE INDEX accounts_id ON accounts (id);
  `,
  `
  CREATE TABLE refresh_tokens (
    jti TEXT PRIMARY KEY,
    family TEXT NOT NULL,
    account_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
  ) WITHOUT ROWID;
  CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
  CREATE INDEX refresh_tokens_account ON refresh_tokens (account_id);
  CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);
  CREATE TABLE refresh_revoked (
    family TEXT PRIMARY KEY,
    revoked_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  `
  CREATE TABLE auth_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE login_failures (
    key TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    window_ms INTEGER NOT NULL,
    failures INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX login_failures_end ON login_failures (window_start);
  CREATE TABLE console_sessions (
    id_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    generation INTEGER NOT NULL,
    csrf TEXT NOT NULL,
    last_seen INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX console_sessions_seen ON console_sessions (last_seen);
  `,
];
