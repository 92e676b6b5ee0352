import Database from 'better-sqlite3';
import type { Digest } from '../oci/digest.js';

/**
 * A read-only view of an embedded install's metadata.db (SQLite), for
 * `airlock migrate`. The database is opened with `readonly` and
 * `fileMustExist`: nothing is ever written to the source, and a running
 * `airlock serve` keeps serving (SQLite WAL lets readers and the writer run
 * side by side). Everything but manifest bytes is read in one read
 * transaction, so the snapshot is consistent; manifest bytes are read one
 * at a time afterwards (they are immutable by digest).
 */

export interface SourceBlob {
  readonly digest: Digest;
  readonly size: number;
  /** Repositories the blob must be linked to: its links plus the repositories whose manifests reference it. */
  readonly repos: string[];
}

export interface SourceManifest {
  readonly repo: string;
  readonly digest: Digest;
  readonly mediaType: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly subject?: Digest;
  readonly annotations?: Record<string, string>;
  readonly blobRefs: Digest[];
  readonly manifestRefs: Digest[];
  readonly tags: string[];
}

export interface SourceSnapshot {
  readonly repositories: string[];
  readonly blobs: SourceBlob[];
  /** Unreferenced blob rows (no link, no manifest reference): garbage the source's collector will take; not migrated. */
  readonly unreferencedBlobs: number;
  /** In an order where every manifest comes after the child manifests of its repository it references. */
  readonly manifests: SourceManifest[];
  readonly tags: number;
  /** Changes when content is pushed, tagged or deleted (compare two snapshots' fingerprints). */
  readonly fingerprint: string;
}

interface ManifestRow {
  repo: string;
  digest: string;
  media_type: string;
  size: number;
  artifact_type: string | null;
  subject: string | null;
  annotations: string | null;
}

/** The source's run log rows, oldest first, as stored (reports and summaries are JSON). */
export interface SourceRunLogRows {
  readonly mirrorRuns: { readonly receivedAt: number; readonly sentBy: string; readonly report: string }[];
  readonly gcRuns: { readonly summary: string }[];
}

export interface SourceRunLog {
  runLog(): SourceRunLogRows;
}

export class SourceDatabase implements SourceRunLog {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path, { readonly: true, fileMustExist: true });
    this.db.pragma('busy_timeout = 10000');
  }

  /** Everything but manifest bytes, in one read transaction. */
  snapshot(): SourceSnapshot {
    const read = this.db.transaction(() => this.readAll());
    return read.deferred();
  }

  fingerprint(): string {
    const r = this.db
      .prepare(
        `SELECT (SELECT count(*) FROM manifests) AS m, (SELECT count(*) FROM tags) AS t, (SELECT coalesce(max(updated_at), 0) FROM tags) AS tu,
                (SELECT count(*) FROM blobs) AS b, (SELECT coalesce(max(created_at), 0) FROM manifests) AS mc`,
      )
      .get() as Record<string, number>;
    return `${r.m}/${r.t}/${r.tu}/${r.b}/${r.mc}`;
  }

  /** The run log (tables mirror_runs, gc_runs), oldest first; empty on a database from before the run log. */
  runLog(): SourceRunLogRows {
    const has = (t: string): boolean => this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(t) !== undefined;
    const mirrorRuns = has('mirror_runs')
      ? (this.db.prepare('SELECT received_at, sent_by, report FROM mirror_runs ORDER BY id').all() as { received_at: number; sent_by: string; report: string }[])
        .map((r) => ({ receivedAt: r.received_at, sentBy: r.sent_by, report: r.report }))
      : [];
    const gcRuns = has('gc_runs') ? (this.db.prepare('SELECT summary FROM gc_runs ORDER BY id').all() as { summary: string }[]) : [];
    return { mirrorRuns, gcRuns };
  }

  /** A manifest's bytes, or undefined when the source no longer holds them. */
  manifestContent(digest: Digest): Buffer | undefined {
    const r = this.db.prepare('SELECT content FROM manifest_content WHERE digest = ?').get(digest) as { content: Buffer } | undefined;
    return r?.content;
  }

  close(): void {
    this.db.close();
  }

  private readAll(): SourceSnapshot {
    const db = this.db;
    const repositories = (db.prepare('SELECT name FROM repositories ORDER BY name').all() as { name: string }[]).map((r) => r.name);
    const blobRows = db.prepare('SELECT digest, size FROM blobs ORDER BY digest').all() as { digest: Digest; size: number }[];
    const links = db
      .prepare(
        `SELECT rb.digest AS digest, r.name AS repo FROM repo_blobs rb JOIN repositories r ON r.id = rb.repo_id
         UNION SELECT mr.child AS digest, r.name AS repo FROM manifest_refs mr JOIN repositories r ON r.id = mr.repo_id WHERE mr.kind = 'blob'`,
      )
      .all() as { digest: Digest; repo: string }[];
    const reposOf = new Map<string, string[]>();
    for (const l of links) {
      const a = reposOf.get(l.digest);
      if (a) a.push(l.repo);
      else reposOf.set(l.digest, [l.repo]);
    }
    const blobs: SourceBlob[] = [];
    let unreferencedBlobs = 0;
    for (const b of blobRows) {
      const repos = reposOf.get(b.digest);
      if (repos) blobs.push({ digest: b.digest, size: b.size, repos: [...new Set(repos)].sort() });
      else unreferencedBlobs++;
    }
    const rows = db
      .prepare(
        `SELECT r.name AS repo, m.digest, m.media_type, m.size, m.artifact_type, m.subject, m.annotations
         FROM manifests m JOIN repositories r ON r.id = m.repo_id ORDER BY r.name, m.digest`,
      )
      .all() as ManifestRow[];
    const refs = db
      .prepare('SELECT r.name AS repo, mr.parent, mr.child, mr.kind FROM manifest_refs mr JOIN repositories r ON r.id = mr.repo_id')
      .all() as { repo: string; parent: string; child: Digest; kind: 'blob' | 'manifest' }[];
    const tagRows = db.prepare('SELECT r.name AS repo, t.name AS tag, t.digest FROM tags t JOIN repositories r ON r.id = t.repo_id ORDER BY t.name').all() as {
      repo: string;
      tag: string;
      digest: string;
    }[];
    const key = (repo: string, digest: string) => `${repo}\n${digest}`;
    const refsOf = new Map<string, { blobs: Digest[]; manifests: Digest[] }>();
    for (const r of refs) {
      const k = key(r.repo, r.parent);
      const e = refsOf.get(k) ?? { blobs: [], manifests: [] };
      (r.kind === 'blob' ? e.blobs : e.manifests).push(r.child);
      refsOf.set(k, e);
    }
    const tagsOf = new Map<string, string[]>();
    for (const t of tagRows) {
      const k = key(t.repo, t.digest);
      tagsOf.set(k, [...(tagsOf.get(k) ?? []), t.tag]);
    }
    const byKey = new Map<string, SourceManifest>();
    for (const m of rows) {
      const k = key(m.repo, m.digest);
      const r = refsOf.get(k) ?? { blobs: [], manifests: [] };
      byKey.set(k, {
        repo: m.repo,
        digest: m.digest as Digest,
        mediaType: m.media_type,
        size: m.size,
        ...(m.artifact_type ? { artifactType: m.artifact_type } : {}),
        ...(m.subject ? { subject: m.subject as Digest } : {}),
        ...(m.annotations ? { annotations: JSON.parse(m.annotations) as Record<string, string> } : {}),
        blobRefs: r.blobs.sort(),
        manifestRefs: r.manifests.sort(),
        tags: tagsOf.get(k) ?? [],
      });
    }
    return {
      repositories,
      blobs,
      unreferencedBlobs,
      manifests: childrenFirst(byKey, key),
      tags: tagRows.length,
      fingerprint: this.fingerprint(),
    };
  }
}

/** Depth-first: a manifest is emitted after the children (same repository) it references; cycles cannot occur (digests). */
function childrenFirst(byKey: Map<string, SourceManifest>, key: (repo: string, digest: string) => string): SourceManifest[] {
  const out: SourceManifest[] = [];
  const done = new Set<string>();
  const visit = (k: string, depth: number): void => {
    if (done.has(k) || depth > 64) return;
    done.add(k);
    const m = byKey.get(k);
    if (!m) return;
    for (const c of m.manifestRefs) visit(key(m.repo, c), depth + 1);
    out.push(m);
  };
  for (const k of byKey.keys()) visit(k, 0);
  return out;
}
