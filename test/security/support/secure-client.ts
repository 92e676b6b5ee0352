/**
 * HTTPS client for the security tests: trusts only the registry's generated
 * CA (verified TLS, never rejectUnauthorized=false), talks only to loopback,
 * and has helpers for the token endpoint and for hand-made JWTs.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, type Dispatcher } from 'undici';

export interface Res {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  text(): string;
  json<T = Record<string, unknown>>(): T;
}

export const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
export const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
export const bearer = (token: string): string => `Bearer ${token}`;

export interface TokenBody {
  token: string;
  access_token: string;
  expires_in: number;
  issued_at: string;
  refresh_token?: string;
}

export class SecureClient {
  private readonly agent: Agent;
  readonly origin: string;

  constructor(baseUrl: string, caCertPath: string) {
    const u = new URL(baseUrl);
    if (u.protocol !== 'https:') throw new Error(`SecureClient speaks https only: ${baseUrl}`);
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) throw new Error(`only loopback targets: ${baseUrl}`);
    this.origin = u.origin;
    this.agent = new Agent({ connect: { ca: readFileSync(caCertPath), rejectUnauthorized: true }, keepAliveTimeout: 2000 });
  }

  async request(method: string, path: string, opts: { headers?: Record<string, string>; body?: Buffer | string | null; origin?: string } = {}): Promise<Res> {
    const res = await this.agent.request({
      origin: opts.origin ?? this.origin,
      path,
      method: method as Dispatcher.HttpMethod,
      headers: opts.headers ?? {},
      body: opts.body ?? null,
    });
    const body = Buffer.from(await res.body.arrayBuffer());
    return {
      status: res.statusCode,
      headers: res.headers,
      body,
      text: () => body.toString('utf8'),
      json: <T>() => JSON.parse(body.toString('utf8')) as T,
    };
  }

  /** GET /token with Basic auth (or anonymous) and any number of scopes. */
  async getToken(creds: { user: string; pass: string } | undefined, scopes: string[], extra: Record<string, string> = {}): Promise<Res> {
    const q = new URLSearchParams({ service: 'airlock', ...extra });
    for (const s of scopes) q.append('scope', s);
    return this.request('GET', `/token?${q.toString()}`, creds ? { headers: { authorization: basic(creds.user, creds.pass) } } : {});
  }

  /** The access token, asserting a 200. */
  async token(creds: { user: string; pass: string } | undefined, scopes: string[]): Promise<string> {
    const r = await this.getToken(creds, scopes);
    if (r.status !== 200) throw new Error(`GET /token -> ${r.status} ${r.text()}`);
    return r.json<TokenBody>().token;
  }

  async postToken(form: Record<string, string | string[]>): Promise<Res> {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
    return this.request('POST', '/token', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: p.toString() });
  }

  /** Monolithic blob upload (POST + PUT) with the given Authorization. */
  async pushBlob(repo: string, data: Buffer, auth: string): Promise<Res> {
    const start = await this.request('POST', `/v2/${repo}/blobs/uploads/`, { headers: { authorization: auth } });
    if (start.status !== 202) return start;
    const loc = new URL(String(start.headers.location), this.origin);
    loc.searchParams.set('digest', sha256(data));
    return this.request('PUT', loc.pathname + loc.search, { headers: { authorization: auth, 'content-type': 'application/octet-stream' }, body: data });
  }

  /** Pushes a one-layer OCI image (config + layer + manifest) under `tag`; returns the manifest PUT response. */
  async pushImage(repo: string, tag: string, auth: string, seed = repo): Promise<Res> {
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, seed }));
    const layer = Buffer.from(`layer of ${seed}`);
    for (const b of [config, layer]) {
      const r = await this.pushBlob(repo, b, auth);
      if (r.status !== 201) return r;
    }
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
    });
    return this.request('PUT', `/v2/${repo}/manifests/${tag}`, {
      headers: { authorization: auth, 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
      body: manifest,
    });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** The decoded (unverified) header and payload of a JWT. */
export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [h, p] = token.split('.');
  return { header: JSON.parse(Buffer.from(h ?? '', 'base64url').toString()), payload: JSON.parse(Buffer.from(p ?? '', 'base64url').toString()) };
}

/** Parses `Bearer realm="…",service="…",scope="…"`. */
export function parseChallenge(header: string | string[] | undefined): Record<string, string> {
  const h = Array.isArray(header) ? header[0] : header;
  const out: Record<string, string> = {};
  if (!h?.startsWith('Bearer ')) return out;
  for (const m of h.slice(7).matchAll(/(\w+)="([^"]*)"/g)) out[m[1]!] = m[2]!;
  return out;
}
