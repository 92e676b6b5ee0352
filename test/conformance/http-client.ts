/** HTTP client, media types and response assertions of the workflow suite. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { Agent, type Dispatcher } from 'undici';
// ---------------------------------------------------------------------------
// Media types and constants
// ---------------------------------------------------------------------------

export const MT = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

export const ACCEPT_ALL_MANIFESTS = [MT.ociManifest, MT.ociIndex, MT.dockerManifest, MT.dockerList].join(', ');

/** The OCI empty descriptor: the two bytes `{}`. */
export const EMPTY_JSON = Buffer.from('{}');
export const EMPTY_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';

// ---------------------------------------------------------------------------
// HTTP client
// ---------------------------------------------------------------------------

export type RequestBody = string | Buffer | Uint8Array | Readable | null;

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** e.g. `GET /v2/...` — used in assertion messages. */
  readonly what: string;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  body?: RequestBody;
}

/** Verified TLS and Docker token auth for an authenticated target. */
export interface ClientAuth {
  /** PEM CA certificate an https:// target's certificate must chain to. */
  caCertPath?: string;
  /** Account used to get tokens (GET /token with Basic auth) for each request's scope. */
  credentials?: { username: string; password: string };
}

/** The token scopes a request needs: its repository (pull / pull,push / delete), a mount source, or the catalog. */
export function scopesFor(method: string, pathAndQuery: string): string[] {
  const q = pathAndQuery.indexOf('?');
  const path = q < 0 ? pathAndQuery : pathAndQuery.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : pathAndQuery.slice(q + 1));
  if (path === '/v2/_catalog') return ['registry:catalog:*'];
  const m = path.match(/^\/v2\/(.+)\/(?:manifests\/[^/]+|blobs\/uploads(?:\/[^/]*)?|blobs\/[^/]+|tags\/list|referrers\/[^/]+)$/);
  if (!m) return [];
  const upload = path.includes('/blobs/uploads');
  const actions = method === 'GET' || method === 'HEAD' ? 'pull' : method === 'DELETE' && !upload ? 'delete' : 'pull,push';
  const scopes = [`repository:${m[1]}:${actions}`];
  const from = query.get('from');
  if (from) scopes.push(`repository:${from}:pull`);
  return scopes;
}

/**
 * Thin client over an undici Agent. Paths are sent verbatim (no URL
 * normalization), so `..` and percent-escapes reach the server as written.
 */
export class RegistryClient {
  private readonly agent: Agent;
  readonly origin: string;
  private readonly tokens = new Map<string, { token: string; until: number }>();

  /** http:// targets, or https:// with `auth.caCertPath` (verified TLS); with `auth.credentials`, token auth. */
  constructor(baseUrl: string, private readonly auth: ClientAuth = {}) {
    const u = new URL(baseUrl);
    if (u.protocol !== 'http:' && !(u.protocol === 'https:' && auth.caCertPath)) {
      throw new Error(`only http:// targets, or https:// with a CA certificate, are supported: ${baseUrl}`);
    }
    if (u.hostname !== '127.0.0.1' && u.hostname !== 'localhost' && u.hostname !== '[::1]') {
      throw new Error(`only loopback targets are allowed: ${baseUrl}`);
    }
    this.origin = u.origin;
    const ca = auth.caCertPath ? { connect: { ca: readFileSync(auth.caCertPath), rejectUnauthorized: true } } : {};
    this.agent = new Agent({ keepAliveTimeout: 2000, connections: 32, ...ca });
  }

  /** A token for `scopes` from the target's /token endpoint (cached until shortly before it expires). */
  private async token(scopes: string[], fresh: boolean): Promise<string> {
    const creds = this.auth.credentials!;
    const key = scopes.join(' ');
    const hit = this.tokens.get(key);
    if (!fresh && hit && hit.until > Date.now()) return hit.token;
    const q = new URLSearchParams({ service: 'airlock' });
    for (const sc of scopes) q.append('scope', sc);
    const res = await this.agent.request({
      origin: this.origin,
      path: `/token?${q.toString()}`,
      method: 'GET',
      headers: { authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` },
    });
    const text = await res.body.text();
    assert.equal(res.statusCode, 200, `GET /token for ${key}: ${res.statusCode} ${text}`);
    const body = JSON.parse(text) as { token: string; expires_in?: number };
    this.tokens.set(key, { token: body.token, until: Date.now() + ((body.expires_in ?? 60) - 10) * 1000 });
    return body.token;
  }

  async request(method: string, path: string, opts: RequestOptions = {}): Promise<HttpResponse> {
    const send = async (fresh: boolean): Promise<HttpResponse> => {
      const headers = { ...(opts.headers ?? {}) };
      if (this.auth.credentials && !Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) {
        headers.authorization = `Bearer ${await this.token(scopesFor(method, path), fresh)}`;
      }
      const res = await this.agent.request({
        origin: this.origin,
        path,
        method: method as Dispatcher.HttpMethod,
        headers,
        body: opts.body ?? null,
        headersTimeout: 60_000,
        bodyTimeout: 60_000,
      });
      const body = Buffer.from(await res.body.arrayBuffer());
      return { status: res.statusCode, headers: res.headers, body, what: `${method} ${path}` };
    };
    const first = await send(false);
    // An expired token: retry once with a fresh one when the body can be sent again.
    if (first.status === 401 && this.auth.credentials && !(opts.body instanceof Readable)) return send(true);
    return first;
  }

  /**
   * Resolves a Location header (relative path or absolute URL) against the
   * target and returns the path+query to request next. Refuses other origins.
   */
  resolve(location: string): string {
    const u = new URL(location, this.origin);
    assert.equal(u.origin, this.origin, `Location ${location} points away from the registry under test`);
    return u.pathname + u.search;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(', ') : v;
}

export function requireHeader(res: HttpResponse, name: string): string {
  const v = header(res, name);
  assert.ok(v !== undefined && v !== '', `${res.what}: missing ${name} header (status ${res.status})`);
  return v;
}

export function describeBody(res: HttpResponse): string {
  const text = res.body.subarray(0, 400).toString('utf8');
  return text.length > 0 ? ` body: ${text}` : ' (empty body)';
}

export function assertStatus(res: HttpResponse, expected: number | readonly number[], context = ''): void {
  const want = typeof expected === 'number' ? [expected] : expected;
  assert.ok(
    want.includes(res.status),
    `${context ? `${context}: ` : ''}${res.what}: expected status ${want.join(' or ')}, got ${res.status};${describeBody(res)}`,
  );
}

export interface ErrorEnvelope {
  errors: { code: string; message?: string; detail?: unknown }[];
}

/** Asserts that a body is the OCI error envelope with a JSON content type. */
export function assertEnvelope(res: HttpResponse): ErrorEnvelope {
  const ct = header(res, 'content-type') ?? '';
  assert.match(ct, /^application\/json\b/i, `${res.what}: error response content-type must be JSON, got "${ct}";${describeBody(res)}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.body.toString('utf8'));
  } catch {
    assert.fail(`${res.what}: error body is not JSON;${describeBody(res)}`);
  }
  assert.ok(
    typeof parsed === 'object' && parsed !== null && Array.isArray((parsed as { errors?: unknown }).errors),
    `${res.what}: error body lacks an "errors" array;${describeBody(res)}`,
  );
  const env = parsed as ErrorEnvelope;
  assert.ok(env.errors.length > 0, `${res.what}: "errors" array is empty`);
  for (const e of env.errors) {
    assert.equal(typeof e.code, 'string', `${res.what}: error entry without a string code;${describeBody(res)}`);
    assert.equal(typeof e.message, 'string', `${res.what}: error entry without a string message;${describeBody(res)}`);
  }
  return env;
}

/**
 * Asserts an error answer: status, OCI envelope, and the first error's code
 * among `codes`. HEAD answers carry no body, so only the status is checked.
 */
export function assertError(res: HttpResponse, status: number | readonly number[], codes: readonly string[], context = ''): void {
  assertStatus(res, status, context);
  if (res.what.startsWith('HEAD ')) return;
  const env = assertEnvelope(res);
  const got = env.errors.map((e) => e.code);
  assert.ok(
    got[0] !== undefined && codes.includes(got[0]),
    `${context ? `${context}: ` : ''}${res.what}: expected error code ${codes.join(' or ')}, got ${got.join(', ')};${describeBody(res)}`,
  );
}

