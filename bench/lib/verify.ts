/**
 * Checks after every measured copy that the destination holds exactly the
 * expected manifests (by digest); any difference throws, so a run that
 * copied the wrong thing never produces a number.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServerHandle } from './servers.js';

export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** A manifest that must be present: `repo` at `ref` (a tag or a digest) with `digest`. */
export interface Expected {
  repo: string;
  ref: string;
  digest: string;
}

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function check(errors: string[], total: number, what: string): void {
  if (errors.length > 0) throw new Error(`verification failed after ${what}: ${errors.length}/${total} wrong:\n  ${errors.slice(0, 10).join('\n  ')}`);
}

/** HEAD /v2/<repo>/manifests/<ref> answers 200 with the expected Docker-Content-Digest. */
export async function verifyRegistry(srv: Pick<ServerHandle, 'url'>, expected: readonly Expected[], what: string): Promise<void> {
  const errors: string[] = [];
  for (const e of expected) {
    const url = `${srv.url}/v2/${e.repo}/manifests/${e.ref}`;
    const res = await fetch(url, { method: 'HEAD', headers: { accept: MANIFEST_ACCEPT } });
    const d = res.headers.get('docker-content-digest');
    if (res.status !== 200 || d !== e.digest) errors.push(`HEAD ${url}: ${res.status} digest ${String(d)} (want ${e.digest})`);
  }
  check(errors, expected.length, what);
}

/** A blob is there with its full length (HEAD). */
export async function verifyBlob(srv: Pick<ServerHandle, 'url'>, repo: string, digest: string, size: number, what: string): Promise<void> {
  const url = `${srv.url}/v2/${repo}/blobs/${digest}`;
  const res = await fetch(url, { method: 'HEAD' });
  const len = Number(res.headers.get('content-length'));
  check(res.status === 200 && len === size ? [] : [`HEAD ${url}: ${res.status}, ${len} bytes (want ${size})`], 1, what);
}

/** Files whose sha256 must equal a digest: airlock's file:// store (`<dir>/v2/<repo>/manifests/<ref>`) or skopeo's dir: tree (`<dir>/<name>/manifest.json`). */
export async function verifyFiles(files: readonly { path: string; digest: string }[], what: string): Promise<void> {
  const errors: string[] = [];
  for (const f of files) {
    try {
      const d = sha256(await readFile(f.path));
      if (d !== f.digest) errors.push(`${f.path}: ${d} (want ${f.digest})`);
    } catch (e) {
      errors.push(`${f.path}: ${(e as Error).message}`);
    }
  }
  check(errors, files.length, what);
}

/** airlock's file:// disk store. */
export function fileStorePaths(dir: string, expected: readonly Expected[]): { path: string; digest: string }[] {
  return expected.map((e) => ({ path: join(dir, 'v2', e.repo, 'manifests', e.ref), digest: e.digest }));
}

/** An OCI layout: index.json names each ref (org.opencontainers.image.ref.name) with its digest, and the blob is there. */
export async function verifyOciLayout(dir: string, refs: readonly { name: string; digest: string }[], what: string): Promise<void> {
  const errors: string[] = [];
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
  const byRef = new Map(index.manifests.map((m) => [m.annotations?.['org.opencontainers.image.ref.name'] ?? '', m.digest]));
  for (const r of refs) {
    const d = byRef.get(r.name);
    if (d !== r.digest) {
      errors.push(`index.json ${r.name}: ${String(d)} (want ${r.digest})`);
      continue;
    }
    const blob = join(dir, 'blobs', 'sha256', r.digest.slice('sha256:'.length));
    if (!existsSync(blob) || sha256(await readFile(blob)) !== r.digest) errors.push(`${blob} missing or wrong`);
  }
  check(errors, refs.length, what);
}
