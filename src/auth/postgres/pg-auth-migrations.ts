/**
 * PostgreSQL schema of the auth state (the SQLite auth.db schema,
 * ../migrations.ts, in PostgreSQL types), in the same database as the
 * metadata, every table prefixed `auth_`. Applied like the metadata schema
 * (metadata/postgres/pg-connect.ts `migrate`: in order, one transaction
 * each, under an advisory lock), recorded in airlock_auth_schema_migrations.
 * Never edit a released migration: add one. Times are epoch ms (BIGINT).
 */
import type { PgSchema } from '../../metadata/postgres/pg-connect.js';

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE auth_accounts (
    name TEXT COLLATE "C" PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('user', 'robot')),
    secret_hash TEXT NOT NULL,
    admin BOOLEAN NOT NULL DEFAULT FALSE,
    pull TEXT NOT NULL DEFAULT '[]',
    push TEXT NOT NULL DEFAULT '[]',
    generation INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE TABLE auth_refresh_tokens (
    jti TEXT PRIMARY KEY,
    family TEXT NOT NULL,
    account_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
  );
  CREATE INDEX auth_refresh_tokens_family ON auth_refresh_tokens (family);
  CREATE INDEX auth_refresh_tokens_account ON auth_refresh_tokens (account_id);
  CREATE INDEX auth_refresh_tokens_expiry ON auth_refresh_tokens (expires_at);
  CREATE TABLE auth_refresh_revoked (
    family TEXT PRIMARY KEY,
    revoked_at BIGINT NOT NULL
  );
  CREATE TABLE auth_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  CREATE TABLE auth_login_failures (
    key TEXT PRIMARY KEY, -- SHA-256 of the limiter's key
    window_start BIGINT NOT NULL,
    window_ms BIGINT NOT NULL,
    failures INTEGER NOT NULL
  );
  CREATE TABLE auth_console_sessions (
    id_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    generation INTEGER NOT NULL,
    csrf TEXT NOT NULL,
    last_seen BIGINT NOT NULL
  );
  CREATE INDEX auth_console_sessions_seen ON auth_console_sessions (last_seen);
  `,
];

export const PG_AUTH_SCHEMA: PgSchema = { table: 'airlock_auth_schema_migrations', migrations: MIGRATIONS, what: 'auth' };
