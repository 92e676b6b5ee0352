/**
 * Schema of auth.db (separate from metadata.db, which holds content only).
 * Applied in order, one transaction each, recorded in schema_migrations.
 * Never edit a released migration: add one.
 *
 *   accounts(name, kind, secret_hash, admin, pull, push, generation, …)
 *     pull/push are JSON arrays of repository globs
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
];
