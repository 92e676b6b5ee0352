/** Registry operations shared by the workflow suite and other tests. */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { ACCEPT_ALL_MANIFESTS, MT, RegistryClient, assertStatus, describeBody, header, requireHeader, type HttpResponse } from './http-client.js';
// ---------------------------------------------------------------------------
// Content helpers
// ---------------------------------------------------------------------------

export function sha256(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function sha512(data: Uint8Array | string): string {
  return `sha512:${createHash('sha512').update(data).digest('hex')}`;
}

export function randomDigest(): string {
  return sha256(randomBytes(32));
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string };
}

export function descriptor(mediaType: string, data: Buffer): Descriptor {
  return { mediaType, digest: sha256(data), size: data.length };
}

export interface PushedImage {
  repo: string;
  config: Buffer;
  configDesc: Descriptor;
  layer: Buffer;
  layerDesc: Descriptor;
  manifest: Buffer;
  manifestDigest: string;
  mediaType: string;
}

/** Appends a query parameter to a path that may already carry a query. */
export function withQuery(path: string, params: Record<string, string>): string {
  const q = Object.entries(params)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  return path + (path.includes('?') ? '&' : '?') + q;
}

/** Parses `Link: <url>; rel="next"`; returns the URL or undefined. */
export function nextLink(res: HttpResponse): string | undefined {
  const link = header(res, 'link');
  if (link === undefined) return undefined;
  const m = /<([^>]*)>\s*;\s*rel="?next"?/i.exec(link);
  assert.ok(m !== null, `${res.what}: malformed Link header "${link}"`);
  return m[1];
}

export function json<T>(res: HttpResponse): T {
  try {
    return JSON.parse(res.body.toString('utf8')) as T;
  } catch {
    assert.fail(`${res.what}: body is not JSON;${describeBody(res)}`);
  }
}

/** Registry operations shared by the suite and the robustness tests. */
export class RegistryOps {
  constructor(readonly http: RegistryClient) {}

  /** POST then PUT (monolithic); asserts 201 and returns the digest. */
  async pushBlob(repo: string, data: Buffer, digest = sha256(data)): Promise<string> {
    const start = await this.http.request('POST', `/v2/${repo}/blobs/uploads/`);
    assertStatus(start, 202, 'start upload');
    const loc = this.http.resolve(requireHeader(start, 'location'));
    const put = await this.http.request('PUT', withQuery(loc, { digest }), {
      headers: { 'content-type': 'application/octet-stream' },
      body: data,
    });
    assertStatus(put, 201, 'finish upload');
    assert.equal(header(put, 'docker-content-digest'), digest, `${put.what}: Docker-Content-Digest`);
    return digest;
  }

  async putManifest(repo: string, reference: string, body: Buffer, mediaType: string): Promise<HttpResponse> {
    return this.http.request('PUT', `/v2/${repo}/manifests/${reference}`, {
      headers: { 'content-type': mediaType },
      body,
    });
  }

  async pushManifest(repo: string, reference: string, body: Buffer, mediaType: string): Promise<string> {
    const res = await this.putManifest(repo, reference, body, mediaType);
    assertStatus(res, 201, 'push manifest');
    const digest = sha256(body);
    assert.equal(header(res, 'docker-content-digest'), digest, `${res.what}: Docker-Content-Digest`);
    return digest;
  }

  async getManifest(repo: string, reference: string, accept = ACCEPT_ALL_MANIFESTS, method = 'GET'): Promise<HttpResponse> {
    return this.http.request(method, `/v2/${repo}/manifests/${reference}`, { headers: { accept } });
  }

  /** Pushes a config + one random layer + an OCI (or Docker) manifest. */
  async pushImage(
    repo: string,
    tags: readonly string[],
    opts: { docker?: boolean; layerSize?: number; byDigest?: boolean } = {},
  ): Promise<PushedImage> {
    const docker = opts.docker ?? false;
    const layer = randomBytes(opts.layerSize ?? 1024);
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [sha256(layer)] },
        config: { Labels: { 'org.example.nonce': randomBytes(8).toString('hex') } },
      }),
    );
    const configDesc = descriptor(docker ? MT.dockerConfig : MT.ociConfig, config);
    const layerDesc = descriptor(docker ? MT.dockerLayer : MT.ociLayer, layer);
    await this.pushBlob(repo, config);
    await this.pushBlob(repo, layer);
    const mediaType = docker ? MT.dockerManifest : MT.ociManifest;
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, config: configDesc, layers: [layerDesc] }));
    const manifestDigest = sha256(manifest);
    if (opts.byDigest || tags.length === 0) await this.pushManifest(repo, manifestDigest, manifest, mediaType);
    for (const tag of tags) await this.pushManifest(repo, tag, manifest, mediaType);
    return { repo, config, configDesc, layer, layerDesc, manifest, manifestDigest, mediaType };
  }

  async tags(repo: string): Promise<{ name: string; tags: string[] | null }> {
    const res = await this.http.request('GET', `/v2/${repo}/tags/list`);
    assertStatus(res, 200, 'tags/list');
    return json(res);
  }
}

