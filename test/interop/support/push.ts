/**
 * Minimal pusher: copies one image (manifest or index, with its blobs) from
 * an OCI image layout into a registry with plain spec calls (POST + PUT
 * monolithic blob upload, PUT manifest). Lets the podman suite seed the
 * registry without depending on skopeo.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { headBlob, type ManifestDoc } from './registry-api.js';

async function uploadBlob(baseUrl: string, repo: string, digest: string, data: Buffer): Promise<void> {
  if ((await headBlob(baseUrl, repo, digest)).status === 200) return;
  const start = await fetch(`${baseUrl}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  await start.arrayBuffer();
  const location = start.headers.get('location');
  if (start.status !== 202 || location === null) throw new Error(`POST upload ${repo}: status ${start.status}, Location ${String(location)}`);
  const url = new URL(location, baseUrl);
  url.searchParams.set('digest', digest);
  const put = await fetch(url, { method: 'PUT', body: data, headers: { 'Content-Type': 'application/octet-stream' } });
  const text = await put.text();
  if (put.status !== 201) throw new Error(`PUT blob ${repo}@${digest}: status ${put.status} ${text}`);
}

/** Pushes `digest` from `layout` to `repo`, tagged `tag` (or by digest only). */
export async function pushFromLayout(baseUrl: string, layout: string, digest: string, repo: string, tag: string | null): Promise<void> {
  const read = (d: string): Promise<Buffer> => readFile(join(layout, 'blobs', 'sha256', d.replace(/^sha256:/, '')));
  const body = await read(digest);
  const doc = JSON.parse(body.toString('utf8')) as ManifestDoc;
  for (const child of doc.manifests ?? []) await pushFromLayout(baseUrl, layout, child.digest, repo, null);
  for (const blob of [...(doc.config ? [doc.config] : []), ...(doc.layers ?? [])]) {
    await uploadBlob(baseUrl, repo, blob.digest, await read(blob.digest));
  }
  if (doc.mediaType === undefined) throw new Error(`manifest ${digest} has no mediaType`);
  const res = await fetch(`${baseUrl}/v2/${repo}/manifests/${tag ?? digest}`, {
    method: 'PUT',
    body,
    headers: { 'Content-Type': doc.mediaType },
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`PUT manifest ${repo}:${tag ?? digest}: status ${res.status} ${text}`);
  const got = res.headers.get('docker-content-digest');
  if (got !== null && got !== digest) throw new Error(`PUT manifest ${repo}: Docker-Content-Digest ${got}, want ${digest}`);
}
