/**
 * Small Distribution API client used by the interop tests to check, from the
 * outside, what a registry holds after a real client (skopeo, podman) wrote
 * to it. Independent of airlock's own code on purpose.
 */
import { createHash } from 'node:crypto';

export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

export const sha256 = (data: Uint8Array): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

export interface HeadResult {
  status: number;
  digest: string | null;
  contentType: string | null;
  contentLength: number | null;
}

function lengthOf(res: Response): number | null {
  const v = res.headers.get('content-length');
  return v === null ? null : Number(v);
}

export async function headManifest(baseUrl: string, repo: string, ref: string): Promise<HeadResult> {
  const res = await fetch(`${baseUrl}/v2/${repo}/manifests/${ref}`, { method: 'HEAD', headers: { Accept: MANIFEST_ACCEPT } });
  await res.arrayBuffer();
  return { status: res.status, digest: res.headers.get('docker-content-digest'), contentType: res.headers.get('content-type'), contentLength: lengthOf(res) };
}

export interface GetManifestResult extends HeadResult {
  body: Buffer;
}

export async function getManifest(baseUrl: string, repo: string, ref: string): Promise<GetManifestResult> {
  const res = await fetch(`${baseUrl}/v2/${repo}/manifests/${ref}`, { headers: { Accept: MANIFEST_ACCEPT } });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, digest: res.headers.get('docker-content-digest'), contentType: res.headers.get('content-type'), contentLength: lengthOf(res), body };
}

export async function headBlob(baseUrl: string, repo: string, digest: string): Promise<HeadResult> {
  const res = await fetch(`${baseUrl}/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
  await res.arrayBuffer();
  return { status: res.status, digest: res.headers.get('docker-content-digest'), contentType: res.headers.get('content-type'), contentLength: lengthOf(res) };
}

export async function getBlob(baseUrl: string, repo: string, digest: string): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(`${baseUrl}/v2/${repo}/blobs/${digest}`);
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

export interface Desc {
  mediaType?: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string; variant?: string };
}

export interface ManifestDoc {
  schemaVersion?: number;
  mediaType?: string;
  manifests?: Desc[];
  config?: Desc;
  layers?: Desc[];
}

/**
 * Walks the manifest (or index) `digest` in `repo` and returns a list of
 * problems (empty when everything is intact): every manifest is fetched by
 * digest and must hash to it and be served with its own media type; every
 * config and layer blob must answer HEAD 200 with the descriptor's size.
 */
export async function checkImageTree(baseUrl: string, repo: string, digest: string): Promise<string[]> {
  const problems: string[] = [];
  const seenBlobs = new Set<string>();
  const visit = async (d: string, expectSize: number | undefined): Promise<void> => {
    const m = await getManifest(baseUrl, repo, d);
    if (m.status !== 200) {
      problems.push(`GET manifest ${repo}@${d}: status ${m.status}`);
      return;
    }
    if (sha256(m.body) !== d) problems.push(`GET manifest ${repo}@${d}: body hashes to ${sha256(m.body)}`);
    if (expectSize !== undefined && m.body.length !== expectSize) problems.push(`manifest ${d}: ${m.body.length} bytes, descriptor says ${expectSize}`);
    const doc = JSON.parse(m.body.toString('utf8')) as ManifestDoc;
    if (doc.mediaType !== undefined && m.contentType?.split(';')[0]?.trim() !== doc.mediaType) {
      problems.push(`manifest ${d}: Content-Type ${String(m.contentType)}, body mediaType ${doc.mediaType}`);
    }
    for (const child of doc.manifests ?? []) await visit(child.digest, child.size);
    for (const blob of [...(doc.config ? [doc.config] : []), ...(doc.layers ?? [])]) {
      if (seenBlobs.has(blob.digest)) continue;
      seenBlobs.add(blob.digest);
      const h = await headBlob(baseUrl, repo, blob.digest);
      if (h.status !== 200) problems.push(`HEAD blob ${repo}@${blob.digest}: status ${h.status}`);
      else if (h.contentLength !== blob.size) problems.push(`HEAD blob ${blob.digest}: Content-Length ${h.contentLength}, want ${blob.size}`);
    }
  };
  await visit(digest, undefined);
  return problems;
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, () => worker()));
  return out;
}
