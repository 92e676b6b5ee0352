import type { Statement } from 'better-sqlite3';
import type { Db } from './open.js';

/** Every SQL statement of the SQLite store, prepared once. */
export function prepareStatements(db: Db) {
  const p = (sql: string): Statement => db.prepare(sql);
  return {
    repoId: p('SELECT id FROM repositories WHERE name = ?'),
    repoInsert: p('INSERT INTO repositories (name, created_at) VALUES (?, ?)'),
    repoList: p('SELECT name FROM repositories WHERE name > ? ORDER BY name LIMIT ?'),
    repoCount: p('SELECT COUNT(*) AS c FROM repositories'),

    blobUpsert: p(`INSERT INTO blobs (digest, size, linked_at) VALUES (?, ?, ?)
                   ON CONFLICT(digest) DO UPDATE SET linked_at = excluded.linked_at`),
    repoBlobUpsert: p(`INSERT INTO repo_blobs (repo_id, digest, linked_at) VALUES (?, ?, ?)
                       ON CONFLICT(repo_id, digest) DO UPDATE SET linked_at = excluded.linked_at`),
    repoBlobSize: p(`SELECT b.size FROM repo_blobs rb JOIN repositories r ON r.id = rb.repo_id
                     JOIN blobs b ON b.digest = rb.digest WHERE r.name = ? AND rb.digest = ?`),
    repoBlobStat: p(`SELECT b.size, rb.repo_id, rb.linked_at FROM repo_blobs rb JOIN repositories r ON r.id = rb.repo_id
                     JOIN blobs b ON b.digest = rb.digest WHERE r.name = ? AND rb.digest = ?`),
    repoBlobTouch: p('UPDATE repo_blobs SET linked_at = ? WHERE repo_id = ? AND digest = ? AND linked_at < ?'),
    repoBlobSizeById: p(`SELECT b.size FROM repo_blobs rb JOIN blobs b ON b.digest = rb.digest
                         WHERE rb.repo_id = ? AND rb.digest = ?`),
    repoBlobDelete: p('DELETE FROM repo_blobs WHERE repo_id = ? AND digest = ?'),
    blobRepos: p(`SELECT r.name FROM repo_blobs rb JOIN repositories r ON r.id = rb.repo_id
                   WHERE rb.digest = ? AND r.name > ? ORDER BY r.name LIMIT ?`),
    blobSize: p('SELECT size FROM blobs WHERE digest = ?'),
    blobStats: p('SELECT COUNT(*) AS c, SUM(size) AS b FROM blobs'),

    contentInsert: p('INSERT OR IGNORE INTO manifest_content (digest, content) VALUES (?, ?)'),
    manifestInsert: p(`INSERT OR IGNORE INTO manifests
      (repo_id, digest, media_type, size, artifact_type, subject, annotations, created_at, orphaned_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)`),
    manifestSize: p('SELECT size FROM manifests WHERE repo_id = ? AND digest = ?'),
    manifestAdopt: p('UPDATE manifests SET orphaned_at = NULL WHERE repo_id = ? AND digest = ? AND orphaned_at IS NOT NULL'),
    manifestOrphan: p('UPDATE manifests SET orphaned_at = ? WHERE repo_id = ? AND digest = ?'),
    manifestDelete: p('DELETE FROM manifests WHERE repo_id = ? AND digest = ?'),
    manifestByDigest: p(`SELECT m.digest, m.media_type, m.size, c.content FROM manifests m
      JOIN repositories r ON r.id = m.repo_id JOIN manifest_content c ON c.digest = m.digest
      WHERE r.name = ? AND m.digest = ?`),
    manifestByTag: p(`SELECT m.digest, m.media_type, m.size, c.content FROM tags t
      JOIN repositories r ON r.id = t.repo_id
      JOIN manifests m ON m.repo_id = t.repo_id AND m.digest = t.digest
      JOIN manifest_content c ON c.digest = m.digest
      WHERE r.name = ? AND t.name = ?`),
    childManifests: p(`SELECT child FROM manifest_refs WHERE repo_id = ? AND parent = ? AND kind = 'manifest'`),
    parentExists: p(`SELECT 1 FROM manifest_refs WHERE child = ? AND kind = 'manifest' AND repo_id = ? LIMIT 1`),
    refInsert: p('INSERT OR IGNORE INTO manifest_refs (repo_id, parent, child, kind) VALUES (?, ?, ?, ?)'),
    refsDeleteFor: p('DELETE FROM manifest_refs WHERE repo_id = ? AND parent = ?'),
    referrers: p(`SELECT m.digest, m.media_type, m.size, m.artifact_type, m.annotations FROM manifests m
      JOIN repositories r ON r.id = m.repo_id WHERE r.name = ? AND m.subject = ? ORDER BY m.digest`),

    tagGet: p('SELECT digest FROM tags WHERE repo_id = ? AND name = ?'),
    tagUpsert: p(`INSERT INTO tags (repo_id, name, digest, updated_at) VALUES (?, ?, ?, ?)
                  ON CONFLICT(repo_id, name) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at`),
    tagDelete: p('DELETE FROM tags WHERE repo_id = ? AND name = ?'),
    tagsDeleteFor: p('DELETE FROM tags WHERE repo_id = ? AND digest = ?'),
    tagCountFor: p('SELECT 1 FROM tags WHERE repo_id = ? AND digest = ? LIMIT 1'),
    tagList: p('SELECT name FROM tags WHERE repo_id = ? AND name > ? ORDER BY name LIMIT ?'),

    uploadInsert: p('INSERT INTO uploads (id, repo, created_at, updated_at, owner, address) VALUES (?, ?, ?, ?, ?, ?)'),
    uploadGet: p('SELECT id, repo, created_at, updated_at, owner, address FROM uploads WHERE id = ?'),
    // Open sessions, counted up to a bound (the cap) so the count stays an index range scan.
    uploadsOfOwner: p('SELECT COUNT(*) AS c FROM (SELECT 1 FROM uploads WHERE owner = ? AND updated_at >= ? LIMIT ?)'),
    uploadsOfAddress: p('SELECT COUNT(*) AS c FROM (SELECT 1 FROM uploads WHERE address = ? AND updated_at >= ? LIMIT ?)'),
    uploadTouch: p('UPDATE uploads SET updated_at = ? WHERE id = ?'),
    uploadDelete: p('DELETE FROM uploads WHERE id = ?'),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
