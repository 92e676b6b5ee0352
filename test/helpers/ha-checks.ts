/**
 * What the high-availability tests check after a fault: pulls that verify
 * every byte against its digest (through a registry), and the shared stores
 * read directly (PostgreSQL rows, the bucket's objects) for anything partial.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Digest } from '../../src/oci/digest.js';
import { blobPath } from '../../src/storage/blob-store.js';
import { PathNotFoundError } from '../../src/storage/driver.js';
import { s3TestDriver } from './s3.js';

export const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export const ACCEPT_ANY_MANIFEST = 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json';

interface Doc {
  manifests?: { digest: string }[];
  config?: { digest: string };
  layers?: { digest: string }[];
}

/** Fetches `ref` of `repo` and everything under it by digest; returns the problems found (empty: all bytes match their digests). */
export async function verifyPull(base: string, repo: string, ref: string): Promise<string[]> {
  const problems: string[] = [];
  const visit = async (r: string): Promise<void> => {
    const res = await fetch(`${base}/v2/${repo}/manifests/${r}`, { headers: { accept: ACCEPT_ANY_MANIFEST } });
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200) return void problems.push(`${repo} manifest ${r}: ${res.status}`);
    if (r.startsWith('sha256:') && sha(body) !== r) problems.push(`${repo} manifest ${r} hashes to ${sha(body)}`);
    const doc = JSON.parse(body.toString()) as Doc;
    for (const m of doc.manifests ?? []) await visit(m.digest);
    for (const b of [...(doc.config ? [doc.config] : []), ...(doc.layers ?? [])]) {
      const br = await fetch(`${base}/v2/${repo}/blobs/${b.digest}`);
      const bytes = Buffer.from(await br.arrayBuffer());
      if (br.status !== 200 || sha(bytes) !== b.digest) problems.push(`${repo} blob ${b.digest}: ${br.status}, hashes to ${sha(bytes)}`);
    }
  };
  await visit(ref);
  return problems;
}

async function hashObject(driver: ReturnType<typeof s3TestDriver>, path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of await driver.read(path)) h.update(chunk as Buffer);
  return `sha256:${h.digest('hex')}`;
}

export interface StoreCheck {
  readonly problems: string[];
  readonly blobRows: number;
  readonly objects: number;
  readonly manifests: number;
}

/**
 * Reads the shared stores directly and lists everything partial (safe while
 * replicas, and their collectors, keep running): a blob row
 * whose object is missing or of another size, an object under blobs/ whose
 * bytes do not hash to its path, a manifest whose stored bytes do not hash
 * to its digest (or that has none), a manifest referencing a blob without
 * a row or a child manifest that is not in its repository, a tag naming a
 * missing manifest.
 */
export async function checkSharedStores(dbUrl: string, storage: string): Promise<StoreCheck> {
  const problems: string[] = [];
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  const driver = s3TestDriver(storage);
  try {
    const q = async <T extends object>(sql: string): Promise<T[]> => (await c.query<T>(sql)).rows;
    const blobs = await q<{ digest: string; size: string }>('SELECT digest, size FROM blobs');
    for (const b of blobs) {
      const whole = async () => (await driver.stat(blobPath(b.digest as Digest)))?.size === Number(b.size);
      if (await whole()) continue;
      // A collector still running may have deleted the row (first) and then the object since the rows were read:
      // only a row still there whose object is still not whole is partial.
      const still = await c.query('SELECT 1 FROM blobs WHERE digest = $1 AND size = $2', [b.digest, b.size]);
      if (still.rowCount && !(await whole())) problems.push(`blob row ${b.digest} (${b.size} bytes): its object is missing or of another size`);
    }
    let objects = 0;
    for (const dir of await driver.list('blobs/sha256')) {
      for (const hex of await driver.list(`blobs/sha256/${dir}`)) {
        objects++;
        const path = `blobs/sha256/${dir}/${hex}`;
        const got = await hashObject(driver, path).catch((e: Error) => (e instanceof PathNotFoundError ? undefined : Promise.reject(e)));
        if (got !== undefined && got !== `sha256:${hex}`) problems.push(`object ${path} hashes to ${got}`); // undefined: collected since listed
      }
    }
    const content = await q<{ digest: string; content: Buffer }>('SELECT digest, content FROM manifest_content');
    for (const m of content) if (sha(m.content) !== m.digest) problems.push(`manifest ${m.digest}: stored bytes hash to ${sha(m.content)}`);
    const list = async (sql: string, what: (r: Record<string, string>) => string) => {
      for (const r of await q<Record<string, string>>(sql)) problems.push(what(r));
    };
    await list(
      `SELECT m.digest, r.name FROM manifests m JOIN repositories r ON r.id = m.repo_id
        WHERE NOT EXISTS (SELECT 1 FROM manifest_content mc WHERE mc.digest = m.digest)`,
      (r) => `manifest ${r.name}@${r.digest} has no stored bytes`,
    );
    await list(
      `SELECT mr.parent, mr.child, r.name FROM manifest_refs mr JOIN repositories r ON r.id = mr.repo_id
        WHERE mr.kind = 'blob' AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.digest = mr.child)`,
      (r) => `manifest ${r.name}@${r.parent} references blob ${r.child}, which has no row`,
    );
    await list(
      `SELECT mr.parent, mr.child, r.name FROM manifest_refs mr JOIN repositories r ON r.id = mr.repo_id
        WHERE mr.kind = 'manifest' AND NOT EXISTS (SELECT 1 FROM manifests m WHERE m.repo_id = mr.repo_id AND m.digest = mr.child)`,
      (r) => `manifest ${r.name}@${r.parent} references manifest ${r.child}, missing from the repository`,
    );
    await list(
      `SELECT t.name AS tag, t.digest, r.name FROM tags t JOIN repositories r ON r.id = t.repo_id
        WHERE NOT EXISTS (SELECT 1 FROM manifests m WHERE m.repo_id = t.repo_id AND m.digest = t.digest)`,
      (r) => `tag ${r.name}:${r.tag} names ${r.digest}, missing from the repository`,
    );
    return { problems, blobRows: blobs.length, objects, manifests: content.length };
  } finally {
    driver.close();
    await c.end();
  }
}
