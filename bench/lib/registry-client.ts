/**
 * The few registry API calls the benchmark makes itself (loopback only):
 * monolithic blob upload (POST + PUT ?digest=), manifest PUT, HEAD checks.
 */
import { assertLoopbackUrl } from './servers.js';

/** Absolute upload URL from a Location header, with `digest=` appended. */
export function putUrl(base: string, location: string, digest: string): string {
  const abs = new URL(location, base).toString();
  if (!abs.startsWith(`${base}/`)) throw new Error(`upload Location ${location} points away from ${base}`);
  return `${abs}${abs.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
}

/** POST /v2/<repo>/blobs/uploads/ and return the session Location (absolute). */
export async function startUpload(base: string, repo: string): Promise<string> {
  assertLoopbackUrl(base);
  const res = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  await res.arrayBuffer();
  const loc = res.headers.get('location');
  if (res.status !== 202 || loc === null) throw new Error(`POST upload in ${repo}: HTTP ${res.status}, Location ${String(loc)}`);
  return new URL(loc, base).toString();
}

export async function uploadBlob(base: string, repo: string, data: Buffer, digest: string): Promise<void> {
  const loc = await startUpload(base, repo);
  const res = await fetch(putUrl(base, loc, digest), {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body: data,
  });
  await res.arrayBuffer();
  if (res.status !== 201) throw new Error(`PUT blob ${digest} in ${repo}: HTTP ${res.status}`);
}

export async function putManifest(base: string, repo: string, ref: string, mediaType: string, body: Buffer): Promise<string | null> {
  assertLoopbackUrl(base);
  const res = await fetch(`${base}/v2/${repo}/manifests/${ref}`, { method: 'PUT', headers: { 'content-type': mediaType }, body });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`PUT manifest ${repo}:${ref}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return res.headers.get('docker-content-digest');
}

export interface HeadResult {
  status: number;
  digest: string | null;
  length: number | null;
}

export async function head(url: string, accept?: string): Promise<HeadResult> {
  const res = await fetch(url, { method: 'HEAD', headers: accept === undefined ? {} : { accept } });
  await res.arrayBuffer();
  const len = res.headers.get('content-length');
  return { status: res.status, digest: res.headers.get('docker-content-digest'), length: len === null ? null : Number(len) };
}

export async function getStatus(url: string, accept?: string): Promise<HeadResult> {
  const res = await fetch(url, { headers: accept === undefined ? {} : { accept } });
  const body = await res.arrayBuffer();
  return { status: res.status, digest: res.headers.get('docker-content-digest'), length: body.byteLength };
}
