/**
 * PostgreSQL schema migrations: the SQLite schema (sqlite/migrations.ts) in
 * PostgreSQL types. Applied in order, each in one transaction, under an
 * advisory lock so replicas starting together migrate once; recorded in
 * airlock_schema_migrations. Never edit a released migration: add one.
 * Names and digests are COLLATE "C" so ORDER BY is byte order whatever the
 * database's locale; times are epoch milliseconds (BIGINT).
 */
export const PG_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE repositories (
    id BIGSERIAL PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
  );
  CREATE TABLE blobs (
    digest TEXT COLLATE "C" PRIMARY KEY,
    size BIGINT NOT NULL,
    linked_at BIGINT NOT NULL
  );
  CREATE TABLE repo_blobs (
    repo_id BIGINT NOT NULL REFERENCES repositories(id),
    digest TEXT COLLATE "C" NOT NULL REFERENCES blobs(digest),
    linked_at BIGINT NOT NULL,
    PRIMARY KEY (repo_id, digest)
  );
  CREATE INDEX repo_blobs_digest ON repo_blobs(digest);
  CREATE TABLE manifest_content (
    digest TEXT COLLATE "C" PRIMARY KEY,
    content BYTEA NOT NULL
  );
  CREATE TABLE manifests (
    repo_id BIGINT NOT NULL REFERENCES repositories(id),
    digest TEXT COLLATE "C" NOT NULL,
    media_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    artifact_type TEXT,
    subject TEXT COLLATE "C",
    annotations TEXT,
    created_at BIGINT NOT NULL,
    orphaned_at BIGINT,
    PRIMARY KEY (repo_id, digest)
  );
  CREATE INDEX manifests_digest ON manifests(digest);
  CREATE INDEX manifests_subject ON manifests(repo_id, subject) WHERE subject IS NOT NULL;
  CREATE INDEX manifests_orphaned ON manifests(orphaned_at) WHERE orphaned_at IS NOT NULL;
  CREATE TABLE manifest_refs (
    repo_id BIGINT NOT NULL,
    parent TEXT COLLATE "C" NOT NULL,
    child TEXT COLLATE "C" NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('blob', 'manifest')),
    PRIMARY KEY (repo_id, parent, kind, child)
  );
  CREATE INDEX manifest_refs_child ON manifest_refs(child, kind, repo_id);
  CREATE TABLE tags (
    repo_id BIGINT NOT NULL REFERENCES repositories(id),
    name TEXT COLLATE "C" NOT NULL,
    digest TEXT COLLATE "C" NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (repo_id, name)
  );
  CREATE INDEX tags_digest ON tags(repo_id, digest);
  CREATE TABLE uploads (
    id TEXT COLLATE "C" PRIMARY KEY,
    repo TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    owner TEXT,
    address TEXT
  );
  CREATE INDEX uploads_owner ON uploads(owner, updated_at) WHERE owner IS NOT NULL;
  CREATE INDEX uploads_address ON uploads(address, updated_at) WHERE address IS NOT NULL;
  CREATE INDEX uploads_updated ON uploads(updated_at);
  `,
  // 2: the run log (metadata/run-log.ts): mirror run reports and GC history, one for every replica.
  `
  CREATE TABLE mirror_runs (id BIGSERIAL PRIMARY KEY, received_at BIGINT NOT NULL, sent_by TEXT NOT NULL, report TEXT NOT NULL);
  CREATE TABLE gc_runs (id BIGSERIAL PRIMARY KEY, finished_at BIGINT NOT NULL, summary TEXT NOT NULL);
  CREATE TABLE run_log_imports (key TEXT PRIMARY KEY, imported_at BIGINT NOT NULL);
  `,
];
