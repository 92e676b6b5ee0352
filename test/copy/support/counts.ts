/** Counting helpers for copy tests: unique blobs of images in a layout, uploads seen by airlock. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

interface Doc {
  manifests?: { digest: string }[];
  config?: { digest: string };
  layers?: { digest: string }[];
}

/** Every config/layer digest reachable from `roots` in the OCI layout at `layout`. */
export async function uniqueBlobs(layout: string, roots: string[]): Promise<Set<string>> {
  const blobs = new Set<string>();
  const visit = async (d: string): Promise<void> => {
    const doc = JSON.parse(await readFile(join(layout, 'blobs', 'sha256', d.replace(/^sha256:/, '')), 'utf8')) as Doc;
    for (const c of doc.manifests ?? []) await visit(c.digest);
    for (const b of [...(doc.config ? [doc.config] : []), ...(doc.layers ?? [])]) blobs.add(b.digest);
  };
  for (const r of roots) await visit(r);
  return blobs;
}

/**
 * Blob uploads airlock started, from /metrics: sessions opened (POST
 * .../blobs/uploads/ answered 202, mounts that fell back to a session
 * included) and monolithic uploads completed (POST ?digest= answered 201).
 * Successful mounts are not uploads and are not counted.
 */
export async function uploadStarts(baseUrl: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  let n = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('airlock_http_requests_total{')) continue;
    const session = /route="(upload-start|blob-mount)"/.test(line) && line.includes('status="202"');
    const monolithic = line.includes('route="upload-monolithic"') && line.includes('status="201"');
    if (session || monolithic) n += Number(line.split(' ').pop());
  }
  return n;
}

/** Manifest GETs airlock answered with 200 (from /metrics), any route whose name starts with "manifest". */
export async function manifestGets(baseUrl: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  let n = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('airlock_http_requests_total{')) continue;
    if (/route="manifest[^"]*"/.test(line) && line.includes('method="GET"') && line.includes('status="200"')) n += Number(line.split(' ').pop());
  }
  return n;
}
