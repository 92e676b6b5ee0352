/**
 * Schema migrations, applied in order inside one transaction each and
 * recorded in schema_migrations. Never edit a released migration: add one.
 *
 *   repositories(id, name)                      one row per repository
 *   blobs(digest, size, linked_at)              every committed blob, once
 *   repo_blobs(repo_id, digest, linked_at)      blob visible in a repository
 *   manifest_content(digest, content)           manifest bytes, once
 *   manifests(repo_id, digest, …, orphaned_at)  manifest present in a repository
 *   manifest_refs(repo_id, parent, child, kind) parent manifest → blob | manifest
 *   tags(repo_id, name, digest)
 *   uploads(id, repo, created_at, updated_at,   upload session; owner (account) and
 *           owner, address)                     address count against the open-session caps
 *   mirror_runs, gc_runs, run_log_imports       the run log (metadata/run-log.ts)
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE repositories (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE blobs (
    digest TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    linked_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE repo_blobs (
    repo_id INTEGER NOT NULL REFERENCES repositories(id),
    digest TEXT NOT NULL REFERENCES blobs(digest),
    linked_at INTEGER NOT NULL,
    PRIMARY KEY (repo_id, digest)
  ) WITHOUT ROWID;
  CREATE INDEX repo_blobs_digest ON repo_blobs(digest);
  CREATE TABLE manifest_content (
    digest TEXT PRIMARY KEY,
    content BLOB NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE manifests (
    repo_id INTEGER NOT NULL REFERENCES repositories(id),
    digest TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    artifact_type TEXT,
    subject TEXT,
    annotations TEXT,
    created_at INTEGER NOT NULL,
    orphaned_at INTEGER,
    PRIMARY KEY (repo_id, digest)
  ) WITHOUT ROWID;
  CREATE INDEX manifests_subject ON manifests(repo_id, subject) WHERE subject IS NOT NULL;
  CREATE INDEX manifests_orphaned ON manifests(orphaned_at) WHERE orphaned_at IS NOT NULL;
  CREATE TABLE manifest_refs (
    repo_id INTEGER NOT NULL,
    parent TEXT NOT NULL,
    child TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('blob', 'manifest')),
    PRIMARY KEY (repo_id, parent, kind, child)
  ) WITHOUT ROWID;
  CREATE INDEX manifest_refs_child ON manifest_refs(child, kind, repo_id);
  CREATE TABLE tags (
    repo_id INTEGER NOT NULL REFERENCES repositories(id),
    name TEXT NOT NULL,
    digest TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (repo_id, name)
  ) WITHOUT ROWID;
  CREATE INDEX tags_digest ON tags(repo_id, digest);
  CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    repo TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // 2: who opened each upload session, for the per-account and per-address caps.
  `
  ALTER TABLE uploads ADD COLUMN owner TEXT;
  ALTER TABLE uploads ADD COLUMN address TEXT;
  CREATE INDEX uploads_owner ON uploads(owner, updated_at) WHERE owner IS NOT NULL;
  CREATE INDEX uploads_address ON uploads(address, updated_at) WHERE address IS NOT NULL;
  `,
  // 3: the run log (metadata/run-log.ts): mirror run reports and GC history, formerly <data-dir>/runs.db.
  `
  CREATE TABLE mirror_runs (id INTEGER PRIMARY KEY AUTOINCREMENT, received_at INTEGER NOT NULL, sent_by TEXT NOT NULL, report TEXT NOT NULL);
  CREATE TABLE gc_runs (id INTEGER PRIMARY KEY AUTOINCREMENT, finished_at INTEGER NOT NULL, summary TEXT NOT NULL);
  CREATE TABLE run_log_imports (key TEXT PRIMARY KEY, imported_at INTEGER NOT NULL) WITHOUT ROWID;
  `,
];
