/**
 * Checks images a client wrote to disk (OCI image layout or containers/image
 * `dir:` directory): the named manifest has the expected digest and every
 * manifest and blob it reaches is present and hashes to its digest.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ManifestDoc } from './registry-api.js';

const REF = 'org.opencontainers.image.ref.name';
const hexOf = (d: string): string => d.replace(/^sha256:/, '');

async function hashFile(path: string): Promise<{ digest: string; size: number } | null> {
  try {
    await stat(path);
  } catch {
    return null;
  }
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    h.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { digest: `sha256:${h.digest('hex')}`, size };
}

/** Where to find manifests and blobs of one on-disk image format. */
interface Store {
  manifest(digest: string, top: boolean): string;
  blob(digest: string): string;
}

async function walk(store: Store, digest: string): Promise<string[]> {
  const problems: string[] = [];
  const seen = new Set<string>();
  const visit = async (d: string, top: boolean): Promise<void> => {
    const path = store.manifest(d, top);
    let body: Buffer;
    try {
      body = await readFile(path);
    } catch {
      problems.push(`manifest ${d} missing (${path})`);
      return;
    }
    const got = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    if (got !== d) problems.push(`manifest ${path} hashes to ${got}, want ${d}`);
    const doc = JSON.parse(body.toString('utf8')) as ManifestDoc;
    for (const child of doc.manifests ?? []) await visit(child.digest, false);
    for (const b of [...(doc.config ? [doc.config] : []), ...(doc.layers ?? [])]) {
      if (seen.has(b.digest)) continue;
      seen.add(b.digest);
      const h = await hashFile(store.blob(b.digest));
      if (h === null) problems.push(`blob ${b.digest} missing`);
      else if (h.digest !== b.digest || h.size !== b.size) problems.push(`blob ${b.digest}: file is ${h.digest} (${h.size} bytes), descriptor size ${b.size}`);
    }
  };
  await visit(digest, true);
  return problems;
}

/** Problems with `ref` in the OCI layout at `layout` (empty = intact and == digest). */
export async function checkOciLayoutRef(layout: string, ref: string, digest: string): Promise<string[]> {
  let index: { manifests?: { digest: string; annotations?: Record<string, string> }[] };
  try {
    index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as typeof index;
  } catch (e) {
    return [`cannot read ${layout}/index.json: ${String(e)}`];
  }
  const entries = (index.manifests ?? []).filter((m) => m.annotations?.[REF] === ref);
  if (entries.length !== 1) return [`${entries.length} index.json entries named ${ref}`];
  const entry = entries[0] as { digest: string };
  if (entry.digest !== digest) return [`ref ${ref} -> ${entry.digest}, want ${digest}`];
  const blob = (d: string): string => join(layout, 'blobs', 'sha256', hexOf(d));
  return walk({ manifest: (d) => blob(d), blob }, digest);
}

/** Problems with the containers/image `dir:` image at `dir`. */
export async function checkDirImage(dir: string, digest: string): Promise<string[]> {
  return walk(
    {
      manifest: (d, top) => join(dir, top ? 'manifest.json' : `${hexOf(d)}.manifest.json`),
      blob: (d) => join(dir, hexOf(d)),
    },
    digest,
  );
}
