/**
 * Black-box OCI Distribution v1.1 / Docker Registry V2 workflow suite.
 *
 * `describeDistributionSpec(target)` registers node:test suites that talk to
 * a registry only over HTTP or verified HTTPS (loopback; Docker token auth
 * when the target gives credentials). Every test has a stable id such as
 * `push.single-post-digest`; ids listed in `target.knownGaps` still run but
 * are reported as TODO, so the suite can prove itself against a peer
 * registry (docker-registry 2.8) that does not implement everything.
 *
 * Each run works under a fresh `conformance/<random>/…` repository prefix.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { Agent, type Dispatcher } from 'undici';

export interface ConformanceTarget {
  name: string;
  /** e.g. http://127.0.0.1:PORT; read only after `setup()` has run. */
  url: string;
  /** Test ids that are expected to fail on this target (reported as TODO). */
  knownGaps?: ReadonlySet<string>;
  setup?: () => Promise<void>;
  teardown?: () => Promise<void>;
  /** TLS trust and credentials for the client; read only after `setup()` has run. */
  client?: ClientAuth;
}

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

function describeBody(res: HttpResponse): string {
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

function json<T>(res: HttpResponse): T {
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

// ---------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------

type TestBody = (t: TestContext) => Promise<void>;

export function describeDistributionSpec(target: ConformanceTarget): void {
  const gaps = target.knownGaps ?? new Set<string>();
  const registered = new Set<string>();
  const prefix = `conformance/${randomBytes(5).toString('hex')}`;
  const repo = (slug: string): string => `${prefix}/${slug}`;

  let client: RegistryClient | undefined;
  const http = (): RegistryClient => {
    assert.ok(client, 'suite setup did not run');
    return client;
  };
  const ops = (): RegistryOps => new RegistryOps(http());

  /** Registers one test with a stable id; known gaps run as TODO. */
  function spec(id: string, title: string, fn: TestBody): void {
    assert.ok(!registered.has(id), `duplicate test id ${id}`);
    registered.add(id);
    const gap = gaps.has(id);
    const options = gap ? { todo: `known gap of ${target.name}`, timeout: 120_000 } : { timeout: 120_000 };
    it(`${id}: ${title}`, options, async (t) => {
      await fn(t);
      if (gap) t.diagnostic(`${id} passed although it is listed as a known gap of ${target.name}`);
    });
  }

  describe(`distribution-spec workflows against ${target.name}`, () => {
    before(async () => {
      if (target.setup) await target.setup();
      client = new RegistryClient(target.url, target.client);
    });
    after(async () => {
      try {
        if (client) await client.close();
      } finally {
        if (target.teardown) await target.teardown();
      }
    });

    // -----------------------------------------------------------------------
    describe('ping', () => {
      spec('ping.v2', 'GET /v2/ answers 200 with Docker-Distribution-Api-Version', async () => {
        const res = await http().request('GET', '/v2/');
        assertStatus(res, 200);
        assert.equal(header(res, 'docker-distribution-api-version'), 'registry/2.0');
      });
    });

    // -----------------------------------------------------------------------
    describe('pull', () => {
      let image: Promise<PushedImage> | undefined;
      const pulled = (): Promise<PushedImage> => (image ??= ops().pushImage(repo('pull/image'), ['v1'], { layerSize: 4096 }));

      const checkManifestHeaders = (res: HttpResponse, img: PushedImage): void => {
        assert.equal(header(res, 'docker-content-digest'), img.manifestDigest, `${res.what}: Docker-Content-Digest`);
        assert.equal(header(res, 'content-type'), img.mediaType, `${res.what}: Content-Type`);
        assert.equal(header(res, 'content-length'), String(img.manifest.length), `${res.what}: Content-Length`);
      };

      spec('pull.manifest-get-by-tag', 'GET manifest by tag returns the exact bytes and headers', async () => {
        const img = await pulled();
        const res = await ops().getManifest(img.repo, 'v1');
        assertStatus(res, 200);
        checkManifestHeaders(res, img);
        assert.deepEqual(res.body, img.manifest, 'manifest bytes');
      });

      spec('pull.manifest-head-by-tag', 'HEAD manifest by tag returns headers and no body', async () => {
        const img = await pulled();
        const res = await ops().getManifest(img.repo, 'v1', ACCEPT_ALL_MANIFESTS, 'HEAD');
        assertStatus(res, 200);
        checkManifestHeaders(res, img);
        assert.equal(res.body.length, 0, 'HEAD body must be empty');
      });

      spec('pull.manifest-get-by-digest', 'GET manifest by digest returns the exact bytes and headers', async () => {
        const img = await pulled();
        const res = await ops().getManifest(img.repo, img.manifestDigest);
        assertStatus(res, 200);
        checkManifestHeaders(res, img);
        assert.deepEqual(res.body, img.manifest, 'manifest bytes');
      });

      spec('pull.manifest-head-by-digest', 'HEAD manifest by digest returns headers and no body', async () => {
        const img = await pulled();
        const res = await ops().getManifest(img.repo, img.manifestDigest, ACCEPT_ALL_MANIFESTS, 'HEAD');
        assertStatus(res, 200);
        checkManifestHeaders(res, img);
        assert.equal(res.body.length, 0, 'HEAD body must be empty');
      });

      spec('pull.blob-get', 'GET blob returns the exact bytes, Content-Length and Docker-Content-Digest', async () => {
        const img = await pulled();
        const res = await http().request('GET', `/v2/${img.repo}/blobs/${img.layerDesc.digest}`);
        assertStatus(res, 200);
        assert.deepEqual(res.body, img.layer, 'blob bytes');
        assert.equal(header(res, 'content-length'), String(img.layer.length), 'Content-Length');
        assert.equal(header(res, 'docker-content-digest'), img.layerDesc.digest, 'Docker-Content-Digest');
      });

      spec('pull.blob-head', 'HEAD blob returns Content-Length and Docker-Content-Digest, no body', async () => {
        const img = await pulled();
        const res = await http().request('HEAD', `/v2/${img.repo}/blobs/${img.layerDesc.digest}`);
        assertStatus(res, 200);
        assert.equal(header(res, 'content-length'), String(img.layer.length), 'Content-Length');
        assert.equal(header(res, 'docker-content-digest'), img.layerDesc.digest, 'Docker-Content-Digest');
        assert.equal(res.body.length, 0, 'HEAD body must be empty');
      });

      spec('pull.blob-range', 'GET blob with Range: bytes=10-19 answers 206 with Content-Range', async () => {
        const img = await pulled();
        const res = await http().request('GET', `/v2/${img.repo}/blobs/${img.layerDesc.digest}`, {
          headers: { range: 'bytes=10-19' },
        });
        assertStatus(res, 206);
        assert.equal(header(res, 'content-range'), `bytes 10-19/${img.layer.length}`, 'Content-Range');
        assert.equal(header(res, 'content-length'), '10', 'Content-Length');
        assert.deepEqual(res.body, img.layer.subarray(10, 20), 'ranged bytes');
      });

      spec('pull.blob-unknown', 'unknown blob answers 404 BLOB_UNKNOWN', async () => {
        const img = await pulled();
        const d = randomDigest();
        assertError(await http().request('GET', `/v2/${img.repo}/blobs/${d}`), 404, ['BLOB_UNKNOWN']);
        assertError(await http().request('HEAD', `/v2/${img.repo}/blobs/${d}`), 404, ['BLOB_UNKNOWN']);
      });

      spec('pull.manifest-unknown', 'unknown tag or digest answers 404 MANIFEST_UNKNOWN', async () => {
        const img = await pulled();
        assertError(await ops().getManifest(img.repo, 'no-such-tag'), 404, ['MANIFEST_UNKNOWN']);
        assertError(await ops().getManifest(img.repo, randomDigest()), 404, ['MANIFEST_UNKNOWN']);
        assertError(await ops().getManifest(img.repo, 'no-such-tag', ACCEPT_ALL_MANIFESTS, 'HEAD'), 404, ['MANIFEST_UNKNOWN']);
      });

      spec('pull.unknown-repository', 'manifest/blob/tags of an unknown repository answer 404', async () => {
        const r = repo('pull/never-pushed');
        assertError(await ops().getManifest(r, 'latest'), 404, ['NAME_UNKNOWN', 'MANIFEST_UNKNOWN']);
        assertError(await http().request('GET', `/v2/${r}/blobs/${randomDigest()}`), 404, ['NAME_UNKNOWN', 'BLOB_UNKNOWN']);
        assertError(await http().request('GET', `/v2/${r}/tags/list`), 404, ['NAME_UNKNOWN']);
      });

      spec('pull.oci-manifest-docker-accept', 'OCI manifest is served even when Accept lists only Docker types', async () => {
        const img = await pulled();
        const res = await ops().getManifest(img.repo, 'v1', `${MT.dockerManifest}, ${MT.dockerList}`);
        assertStatus(res, 200);
        assert.equal(header(res, 'content-type'), MT.ociManifest, 'Content-Type');
        assert.deepEqual(res.body, img.manifest, 'manifest bytes');
      });
    });

    // -----------------------------------------------------------------------
    describe('push: blobs', () => {
      spec('push.post-put-monolithic', 'POST then PUT uploads a blob (201, Location, Docker-Content-Digest)', async () => {
        const r = repo('push/monolithic');
        const data = randomBytes(3000);
        const digest = sha256(data);
        const start = await http().request('POST', `/v2/${r}/blobs/uploads/`);
        assertStatus(start, 202);
        const loc = http().resolve(requireHeader(start, 'location'));
        const put = await http().request('PUT', withQuery(loc, { digest }), {
          headers: { 'content-type': 'application/octet-stream' },
          body: data,
        });
        assertStatus(put, 201);
        assert.equal(header(put, 'docker-content-digest'), digest, 'Docker-Content-Digest');
        const blobLoc = decodeURIComponent(http().resolve(requireHeader(put, 'location')));
        assert.ok(blobLoc.endsWith(`/blobs/${digest}`), `blob Location ${blobLoc} should name the blob`);
        const get = await http().request('GET', `/v2/${r}/blobs/${digest}`);
        assertStatus(get, 200);
        assert.deepEqual(get.body, data);
      });

      spec('push.single-post-digest', 'single POST ?digest= with the body answers 201', async () => {
        const r = repo('push/single-post');
        const data = randomBytes(2048);
        const digest = sha256(data);
        const res = await http().request('POST', withQuery(`/v2/${r}/blobs/uploads/`, { digest }), {
          headers: { 'content-type': 'application/octet-stream' },
          body: data,
        });
        assertStatus(res, 201);
        requireHeader(res, 'location');
        assert.equal(header(res, 'docker-content-digest'), digest, 'Docker-Content-Digest');
        const get = await http().request('GET', `/v2/${r}/blobs/${digest}`);
        assertStatus(get, 200);
        assert.deepEqual(get.body, data);
      });

      spec('push.chunked', 'chunked PATCH uploads with Content-Range answer 202 with Range and Location', async () => {
        const r = repo('push/chunked');
        const chunks = [randomBytes(1000), randomBytes(2500), randomBytes(77)];
        const data = Buffer.concat(chunks);
        const digest = sha256(data);
        const start = await http().request('POST', `/v2/${r}/blobs/uploads/`);
        assertStatus(start, 202);
        let loc = http().resolve(requireHeader(start, 'location'));
        let offset = 0;
        for (const chunk of chunks) {
          const end = offset + chunk.length - 1;
          const res = await http().request('PATCH', loc, {
            headers: {
              'content-type': 'application/octet-stream',
              'content-range': `${offset}-${end}`,
              'content-length': String(chunk.length),
            },
            body: chunk,
          });
          assertStatus(res, 202, `chunk ${offset}-${end}`);
          assert.equal(header(res, 'range'), `0-${end}`, `${res.what}: Range after chunk ${offset}-${end}`);
          loc = http().resolve(requireHeader(res, 'location'));
          offset = end + 1;
        }
        const put = await http().request('PUT', withQuery(loc, { digest }));
        assertStatus(put, 201);
        assert.equal(header(put, 'docker-content-digest'), digest, 'Docker-Content-Digest');
        const get = await http().request('GET', `/v2/${r}/blobs/${digest}`);
        assertStatus(get, 200);
        assert.deepEqual(get.body, data);
      });

      spec('push.chunk-out-of-order', 'an out-of-order chunk answers 416 and the session survives', async () => {
        const r = repo('push/out-of-order');
        const data = randomBytes(30);
        const digest = sha256(data);
        const start = await http().request('POST', `/v2/${r}/blobs/uploads/`);
        assertStatus(start, 202);
        let loc = http().resolve(requireHeader(start, 'location'));
        const first = await http().request('PATCH', loc, {
          headers: { 'content-type': 'application/octet-stream', 'content-range': '0-9', 'content-length': '10' },
          body: data.subarray(0, 10),
        });
        assertStatus(first, 202);
        loc = http().resolve(requireHeader(first, 'location'));
        const skip = await http().request('PATCH', loc, {
          headers: { 'content-type': 'application/octet-stream', 'content-range': '20-29', 'content-length': '10' },
          body: data.subarray(20, 30),
        });
        assertStatus(skip, 416);
        assert.equal(header(skip, 'range'), '0-9', '416 answer: Range of what the registry holds');
        assertEnvelope(skip);
        const status = await http().request('GET', loc);
        assertStatus(status, 204, 'status after 416');
        assert.equal(header(status, 'range'), '0-9', 'the rejected chunk must not have been written');
        const rest = await http().request('PATCH', loc, {
          headers: { 'content-type': 'application/octet-stream', 'content-range': '10-29', 'content-length': '20' },
          body: data.subarray(10),
        });
        assertStatus(rest, 202, 'resume after 416');
        assert.equal(header(rest, 'range'), '0-29');
        loc = http().resolve(requireHeader(rest, 'location'));
        const put = await http().request('PUT', withQuery(loc, { digest }));
        assertStatus(put, 201);
        const get = await http().request('GET', `/v2/${r}/blobs/${digest}`);
        assertStatus(get, 200);
        assert.deepEqual(get.body, data);
      });

      spec('push.streamed-patch', 'a streamed PATCH without Content-Range/Content-Length is accepted', async () => {
        const r = repo('push/streamed');
        const parts = [randomBytes(700), randomBytes(64 * 1024), randomBytes(33)];
        const data = Buffer.concat(parts);
        const digest = sha256(data);
        const start = await http().request('POST', `/v2/${r}/blobs/uploads/`);
        assertStatus(start, 202);
        const loc = http().resolve(requireHeader(start, 'location'));
        const patch = await http().request('PATCH', loc, {
          headers: { 'content-type': 'application/octet-stream' },
          body: Readable.from(parts),
        });
        assertStatus(patch, 202);
        assert.equal(header(patch, 'range'), `0-${data.length - 1}`, 'Range');
        const next = http().resolve(requireHeader(patch, 'location'));
        const put = await http().request('PUT', withQuery(next, { digest }));
        assertStatus(put, 201);
        const get = await http().request('GET', `/v2/${r}/blobs/${digest}`);
        assertStatus(get, 200);
        assert.deepEqual(get.body, data);
      });

      spec('push.upload-status', 'GET on an upload session answers 204 with Range and Location', async () => {
        const r = repo('push/status');
        const start = await http().request('POST', `/v2/${r}/blobs/uploads/`);
        assertStatus(start, 202);
        let loc = http().resolve(requireHeader(start, 'location'));
        const patch = await http().request('PATCH', loc, {
          headers: { 'content-type': 'application/octet-stream', 'content-range': '0-99', 'content-length': '100' },
          body: randomBytes(100),
        });
        assertStatus(patch, 202);
        loc = http().resolve(requireHeader(patch, 'location'));
        const status = await http().request('GET', loc);
        assertStatus(status, 204);
        assert.equal(header(status, 'range'), '0-99', 'Range');
        requireHeader(status, 'location');
        assert.equal(status.body.length, 0, '204 has no body');
      });

      spec('push.upload-cancel', 'DELETE on an upload answers 204, then the session is gone', async () => {
        const r = repo('push/cancel');
        const start = await http().request('POST', `/v2/${r}/blobs/uploads/`);
        assertStatus(start, 202);
        const loc = http().resolve(requireHeader(start, 'location'));
        const del = await http().request('DELETE', loc);
        assertStatus(del, 204);
        assertError(await http().request('GET', loc), 404, ['BLOB_UPLOAD_UNKNOWN']);
      });

      spec('push.wrong-digest', 'PUT with a digest that does not match the data answers 400 DIGEST_INVALID', async () => {
        const r = repo('push/wrong-digest');
        const data = randomBytes(500);
        const claimed = randomDigest();
        const start = await http().request('POST', `/v2/${r}/blobs/uploads/`);
        assertStatus(start, 202);
        const loc = http().resolve(requireHeader(start, 'location'));
        const put = await http().request('PUT', withQuery(loc, { digest: claimed }), {
          headers: { 'content-type': 'application/octet-stream' },
          body: data,
        });
        assertError(put, 400, ['DIGEST_INVALID']);
        assertStatus(await http().request('HEAD', `/v2/${r}/blobs/${claimed}`), 404, 'claimed digest must not exist');
        assertStatus(await http().request('HEAD', `/v2/${r}/blobs/${sha256(data)}`), 404, 'real digest must not exist');
      });

      spec('push.mount', 'cross-repository mount answers 201 and the blob appears in the target', async () => {
        const from = repo('push/mount-from');
        const to = repo('push/mount-to');
        const data = randomBytes(1500);
        const digest = await ops().pushBlob(from, data);
        const res = await http().request('POST', withQuery(`/v2/${to}/blobs/uploads/`, { mount: digest, from }));
        assertStatus(res, 201);
        assert.equal(header(res, 'docker-content-digest'), digest, 'Docker-Content-Digest');
        const blobLoc = decodeURIComponent(http().resolve(requireHeader(res, 'location')));
        assert.ok(blobLoc.endsWith(`/blobs/${digest}`), `mount Location ${blobLoc} should name the blob`);
        const get = await http().request('GET', `/v2/${to}/blobs/${digest}`);
        assertStatus(get, 200);
        assert.deepEqual(get.body, data);
      });

      spec('push.mount-missing', 'mount of a blob missing in `from` answers 202 with a usable upload session', async () => {
        const from = repo('push/mount-missing-from');
        const to = repo('push/mount-missing-to');
        await ops().pushBlob(from, randomBytes(10)); // `from` exists, the mounted blob does not
        const data = randomBytes(600);
        const digest = sha256(data);
        const res = await http().request('POST', withQuery(`/v2/${to}/blobs/uploads/`, { mount: digest, from }));
        assertStatus(res, 202);
        const loc = http().resolve(requireHeader(res, 'location'));
        const put = await http().request('PUT', withQuery(loc, { digest }), {
          headers: { 'content-type': 'application/octet-stream' },
          body: data,
        });
        assertStatus(put, 201, 'finish the session the mount opened');
        assertStatus(await http().request('HEAD', `/v2/${to}/blobs/${digest}`), 200);
      });

      spec('push.sha512-blob', 'a blob uploaded with a sha512 digest can be fetched by that digest', async () => {
        const r = repo('push/sha512');
        const data = randomBytes(1234);
        const digest = sha512(data);
        const start = await http().request('POST', `/v2/${r}/blobs/uploads/`);
        assertStatus(start, 202);
        const loc = http().resolve(requireHeader(start, 'location'));
        const put = await http().request('PUT', withQuery(loc, { digest }), {
          headers: { 'content-type': 'application/octet-stream' },
          body: data,
        });
        assertStatus(put, 201);
        assert.equal(header(put, 'docker-content-digest'), digest, 'Docker-Content-Digest');
        const get = await http().request('GET', `/v2/${r}/blobs/${digest}`);
        assertStatus(get, 200);
        assert.deepEqual(get.body, data);
        const head = await http().request('HEAD', `/v2/${r}/blobs/${digest}`);
        assertStatus(head, 200);
        assert.equal(header(head, 'content-length'), String(data.length));
      });
    });

    // -----------------------------------------------------------------------
    describe('push: manifests', () => {
      spec('push.manifest-by-tag', 'manifest PUT by tag answers 201 with Location and Docker-Content-Digest', async () => {
        const r = repo('push/manifest-tag');
        const img = await ops().pushImage(r, []);
        const res = await ops().putManifest(r, 'release-1', img.manifest, img.mediaType);
        assertStatus(res, 201);
        assert.equal(header(res, 'docker-content-digest'), img.manifestDigest, 'Docker-Content-Digest');
        requireHeader(res, 'location');
        const get = await ops().getManifest(r, 'release-1');
        assertStatus(get, 200);
        assert.deepEqual(get.body, img.manifest);
      });

      spec('push.manifest-by-digest', 'tagless manifest PUT by digest answers 201 and is fetchable by digest', async () => {
        const r = repo('push/manifest-digest');
        const img = await ops().pushImage(r, []); // no tags: the manifest is PUT by digest only
        const get = await ops().getManifest(r, img.manifestDigest);
        assertStatus(get, 200);
        assert.deepEqual(get.body, img.manifest);
        assert.equal(header(get, 'docker-content-digest'), img.manifestDigest);
      });

      spec('push.nested-names', 'a five-component repository name works for blobs, manifests and tags', async () => {
        const r = repo('a/b/c/d/e');
        const img = await ops().pushImage(r, ['nested']);
        const get = await ops().getManifest(r, 'nested');
        assertStatus(get, 200);
        assert.deepEqual(get.body, img.manifest);
        const blob = await http().request('GET', `/v2/${r}/blobs/${img.layerDesc.digest}`);
        assertStatus(blob, 200);
        assert.deepEqual(blob.body, img.layer);
        const tags = await ops().tags(r);
        assert.equal(tags.name, r);
        assert.deepEqual(tags.tags, ['nested']);
      });

      spec('push.manifest-missing-layer', 'manifest referencing a missing layer answers 400 MANIFEST_BLOB_UNKNOWN', async () => {
        const r = repo('push/missing-layer');
        const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
        await ops().pushBlob(r, config);
        const manifest = Buffer.from(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: MT.ociManifest,
            config: descriptor(MT.ociConfig, config),
            layers: [{ mediaType: MT.ociLayer, digest: randomDigest(), size: 1234 }],
          }),
        );
        const res = await ops().putManifest(r, 'broken', manifest, MT.ociManifest);
        assertError(res, 400, ['MANIFEST_BLOB_UNKNOWN']);
        assertError(await ops().getManifest(r, 'broken'), 404, ['MANIFEST_UNKNOWN', 'NAME_UNKNOWN']);
        assertError(await ops().getManifest(r, sha256(manifest)), 404, ['MANIFEST_UNKNOWN', 'NAME_UNKNOWN']);
      });

      spec('push.index-missing-child', 'index referencing a missing manifest answers 400 MANIFEST_BLOB_UNKNOWN', async () => {
        const r = repo('push/missing-child');
        const img = await ops().pushImage(r, ['present']);
        const index = Buffer.from(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: MT.ociIndex,
            manifests: [
              { mediaType: MT.ociManifest, digest: img.manifestDigest, size: img.manifest.length, platform: { architecture: 'amd64', os: 'linux' } },
              { mediaType: MT.ociManifest, digest: randomDigest(), size: 321, platform: { architecture: 'arm64', os: 'linux' } },
            ],
          }),
        );
        const res = await ops().putManifest(r, 'multi', index, MT.ociIndex);
        assertError(res, 400, ['MANIFEST_BLOB_UNKNOWN']);
        assertError(await ops().getManifest(r, 'multi'), 404, ['MANIFEST_UNKNOWN']);
        assertError(await ops().getManifest(r, sha256(index)), 404, ['MANIFEST_UNKNOWN']);
      });

      spec('push.docker-schema2-byte-exact', 'Docker schema2 manifest with unusual formatting is stored byte-exact', async () => {
        const r = repo('push/docker-exact');
        const img = await ops().pushImage(r, [], { docker: true });
        // Same content as img.manifest, but odd whitespace, key order, an
        // escaped slash and a trailing newline: a registry that re-serializes
        // would change the digest.
        const text =
          `{\n   "layers" : [\n\t{ "size":${img.layerDesc.size},   "digest" : "${img.layerDesc.digest}",\n` +
          `\t  "mediaType":"application\\/vnd.docker.image.rootfs.diff.tar.gzip"}\n  ],\n` +
          `  "config":{"digest":"${img.configDesc.digest}","size":${img.configDesc.size},"mediaType":"${MT.dockerConfig}"},\n` +
          `  "mediaType": "${MT.dockerManifest}",\r\n  "schemaVersion":2\n}\n`;
        const bytes = Buffer.from(text);
        const digest = sha256(bytes);
        assert.notEqual(digest, img.manifestDigest);
        const put = await ops().putManifest(r, 'odd', bytes, MT.dockerManifest);
        assertStatus(put, 201);
        assert.equal(header(put, 'docker-content-digest'), digest, 'digest of the bytes sent');
        for (const ref of ['odd', digest]) {
          const get = await ops().getManifest(r, ref, MT.dockerManifest);
          assertStatus(get, 200);
          assert.equal(header(get, 'content-type'), MT.dockerManifest);
          assert.equal(header(get, 'docker-content-digest'), digest);
          assert.deepEqual(get.body, bytes, `bytes by ${ref}`);
        }
      });

      spec('push.docker-manifest-list-byte-exact', 'Docker manifest list with unusual formatting is stored byte-exact', async () => {
        const r = repo('push/docker-list-exact');
        const img = await ops().pushImage(r, [], { docker: true });
        const text =
          `{"manifests":[\n    {"platform":{"os":"linux","architecture":"amd64"},\n` +
          `     "digest":"${img.manifestDigest}","mediaType":"${MT.dockerManifest}","size":${img.manifest.length}}\n  ],\n` +
          `"schemaVersion":   2,"mediaType":"${MT.dockerList}"  }\n\n`;
        const bytes = Buffer.from(text);
        const digest = sha256(bytes);
        const put = await ops().putManifest(r, 'list', bytes, MT.dockerList);
        assertStatus(put, 201);
        assert.equal(header(put, 'docker-content-digest'), digest, 'digest of the bytes sent');
        for (const ref of ['list', digest]) {
          const get = await ops().getManifest(r, ref, `${MT.dockerList}, ${MT.dockerManifest}`);
          assertStatus(get, 200);
          assert.equal(header(get, 'content-type'), MT.dockerList);
          assert.equal(header(get, 'docker-content-digest'), digest);
          assert.deepEqual(get.body, bytes, `bytes by ${ref}`);
        }
      });

      spec('push.schema1-rejected', 'a schema1 manifest is rejected with MANIFEST_INVALID or UNSUPPORTED', async () => {
        const r = repo('push/schema1');
        const layer = randomBytes(100);
        const layerDigest = await ops().pushBlob(r, layer);
        const body = Buffer.from(
          JSON.stringify(
            {
              schemaVersion: 1,
              name: r,
              tag: 'old',
              architecture: 'amd64',
              fsLayers: [{ blobSum: layerDigest }],
              history: [{ v1Compatibility: JSON.stringify({ id: randomBytes(32).toString('hex'), created: '2020-01-01T00:00:00Z' }) }],
              signatures: [
                {
                  header: { jwk: { crv: 'P-256', kty: 'EC', x: 'AAAA', y: 'AAAA' }, alg: 'ES256' },
                  signature: 'AAAA',
                  protected: 'e30',
                },
              ],
            },
            null,
            3,
          ),
        );
        const res = await ops().putManifest(r, 'old', body, MT.dockerSchema1Signed);
        assert.ok(res.status >= 400 && res.status < 500, `${res.what}: expected a 4xx, got ${res.status};${describeBody(res)}`);
        assertError(res, res.status, ['MANIFEST_INVALID', 'UNSUPPORTED']);
        assertError(await ops().getManifest(r, 'old'), 404, ['MANIFEST_UNKNOWN', 'NAME_UNKNOWN']);
      });
    });

    // -----------------------------------------------------------------------
    describe('content discovery', () => {
      spec('discovery.tags-list-sorted', 'tags/list returns the name and all tags in lexical order', async () => {
        const r = repo('discovery/tags-sorted');
        const img = await ops().pushImage(r, []);
        const tags = ['v3', 'latest', 'a1', 'v10', '1.0', 'b2'];
        for (const t of tags) await ops().pushManifest(r, t, img.manifest, img.mediaType);
        const res = await http().request('GET', `/v2/${r}/tags/list`);
        assertStatus(res, 200);
        assert.match(header(res, 'content-type') ?? '', /^application\/json\b/);
        assert.deepEqual(json(res), { name: r, tags: ['1.0', 'a1', 'b2', 'latest', 'v10', 'v3'] });
      });

      spec('discovery.tags-list-paging', 'tags/list?n=2 pages with Link rel="next" until the end', async () => {
        const r = repo('discovery/tags-paging');
        const img = await ops().pushImage(r, []);
        const tags = ['e5', 'c3', 'a1', 'd4', 'b2'];
        for (const t of tags) await ops().pushManifest(r, t, img.manifest, img.mediaType);
        const seen: string[] = [];
        let path: string | undefined = `/v2/${r}/tags/list?n=2`;
        for (let page = 0; path !== undefined; page++) {
          assert.ok(page < 10, 'pagination does not terminate');
          const res = await http().request('GET', path);
          assertStatus(res, 200);
          const body = json<{ name: string; tags: string[] }>(res);
          assert.equal(body.name, r);
          assert.ok(body.tags.length <= 2, `page ${page} has ${body.tags.length} tags for n=2`);
          seen.push(...body.tags);
          const link = nextLink(res);
          if (link !== undefined) {
            const u = new URL(link, http().origin);
            assert.equal(u.pathname, `/v2/${r}/tags/list`, 'Link path');
            assert.equal(u.searchParams.get('n'), '2', 'Link keeps n');
            assert.equal(u.searchParams.get('last'), body.tags.at(-1), 'Link last= is the last tag of the page');
            path = http().resolve(link);
          } else {
            path = undefined;
          }
          if (page === 0) assert.ok(link !== undefined, 'first page of 5 tags with n=2 must carry a Link header');
        }
        assert.deepEqual(seen, ['a1', 'b2', 'c3', 'd4', 'e5']);
      });

      spec('discovery.catalog-paging', '_catalog?n=1 pages with Link rel="next"', async () => {
        const names = ['r1', 'r2', 'r3'].map((s) => repo(`catalog/${s}`));
        for (const n of names) await ops().pushImage(n, ['x']);
        const first = await http().request('GET', '/v2/_catalog?n=1');
        assertStatus(first, 200);
        const firstBody = json<{ repositories: string[] }>(first);
        assert.equal(firstBody.repositories.length, 1, 'n=1 returns one repository');
        const firstLink = nextLink(first);
        assert.ok(firstLink !== undefined, 'a registry with several repositories must send Link for n=1');
        const u = new URL(firstLink, http().origin);
        assert.equal(u.pathname, '/v2/_catalog');
        assert.equal(u.searchParams.get('n'), '1');
        assert.equal(u.searchParams.get('last'), firstBody.repositories[0]);
        // Walk our own repositories, starting just before them.
        const seen: string[] = [];
        let path: string | undefined = `/v2/_catalog?n=1&last=${encodeURIComponent(repo('catalog'))}`;
        for (let page = 0; path !== undefined && page < 10; page++) {
          const res = await http().request('GET', path);
          assertStatus(res, 200);
          const body = json<{ repositories: string[] }>(res);
          assert.ok(body.repositories.length <= 1, `page has ${body.repositories.length} entries for n=1`);
          const name = body.repositories[0];
          if (name === undefined || !name.startsWith(`${repo('catalog')}/`)) break;
          seen.push(name);
          const link = nextLink(res);
          path = link === undefined ? undefined : http().resolve(link);
        }
        assert.deepEqual(seen, names);
      });

      spec('discovery.tags-list-tagless', 'tags/list of a repository with only tagless manifests is an empty list', async () => {
        const r = repo('discovery/tagless');
        await ops().pushImage(r, []);
        const res = await http().request('GET', `/v2/${r}/tags/list`);
        assertStatus(res, 200);
        assert.deepEqual(json(res), { name: r, tags: [] });
      });

      // Referrers API --------------------------------------------------------
      const pushArtifact = async (
        r: string,
        subject: PushedImage,
        artifactType: string | undefined,
        annotations: Record<string, string>,
        config: Descriptor = { mediaType: MT.ociEmpty, digest: EMPTY_DIGEST, size: 2 },
      ): Promise<{ digest: string; bytes: Buffer; res: HttpResponse }> => {
        await ops().pushBlob(r, EMPTY_JSON);
        const m: Record<string, unknown> = { schemaVersion: 2, mediaType: MT.ociManifest };
        if (artifactType !== undefined) m.artifactType = artifactType;
        m.config = config;
        m.layers = [{ mediaType: MT.ociEmpty, digest: EMPTY_DIGEST, size: 2 }];
        m.subject = { mediaType: subject.mediaType, digest: subject.manifestDigest, size: subject.manifest.length };
        m.annotations = annotations;
        const bytes = Buffer.from(JSON.stringify(m));
        const digest = sha256(bytes);
        const res = await ops().putManifest(r, digest, bytes, MT.ociManifest);
        assertStatus(res, 201, 'push artifact');
        return { digest, bytes, res };
      };

      interface Index {
        schemaVersion: number;
        mediaType: string;
        manifests: Descriptor[];
      }

      spec('discovery.referrers', 'artifact with subject: OCI-Subject on PUT, listed by the referrers API', async () => {
        const r = repo('discovery/referrers');
        const subject = await ops().pushImage(r, ['base']);
        const ann = { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z', 'org.example.kind': 'sbom' };
        const art = await pushArtifact(r, subject, 'application/vnd.example.sbom.v1+json', ann);
        assert.equal(header(art.res, 'oci-subject'), subject.manifestDigest, 'OCI-Subject');
        const res = await http().request('GET', `/v2/${r}/referrers/${subject.manifestDigest}`);
        assertStatus(res, 200);
        assert.match(header(res, 'content-type') ?? '', /^application\/vnd\.oci\.image\.index\.v1\+json\b/);
        const idx = json<Index>(res);
        assert.equal(idx.schemaVersion, 2);
        assert.equal(idx.mediaType, MT.ociIndex);
        assert.deepEqual(idx.manifests, [
          {
            mediaType: MT.ociManifest,
            digest: art.digest,
            size: art.bytes.length,
            artifactType: 'application/vnd.example.sbom.v1+json',
            annotations: ann,
          },
        ]);
      });

      spec('discovery.referrers-filter', 'referrers ?artifactType= filters and sets OCI-Filters-Applied', async () => {
        const r = repo('discovery/referrers-filter');
        const subject = await ops().pushImage(r, ['base']);
        const sbom = await pushArtifact(r, subject, 'application/vnd.example.sbom.v1+json', { n: '1' });
        const sig = await pushArtifact(r, subject, 'application/vnd.example.sig.v1+json', { n: '2' });
        const all = await http().request('GET', `/v2/${r}/referrers/${subject.manifestDigest}`);
        assertStatus(all, 200);
        assert.deepEqual(json<Index>(all).manifests.map((d) => d.digest).sort(), [sbom.digest, sig.digest].sort());
        const res = await http().request(
          'GET',
          `/v2/${r}/referrers/${subject.manifestDigest}?artifactType=${encodeURIComponent('application/vnd.example.sig.v1+json')}`,
        );
        assertStatus(res, 200);
        assert.equal(header(res, 'oci-filters-applied'), 'artifactType');
        const idx = json<Index>(res);
        assert.deepEqual(
          idx.manifests.map((d) => [d.digest, d.artifactType]),
          [[sig.digest, 'application/vnd.example.sig.v1+json']],
        );
      });

      spec('discovery.referrers-config-artifact-type', 'referrer without artifactType is listed with the config mediaType', async () => {
        const r = repo('discovery/referrers-config');
        const subject = await ops().pushImage(r, ['base']);
        const cfg = Buffer.from('{"kind":"example"}');
        await ops().pushBlob(r, cfg);
        const art = await pushArtifact(r, subject, undefined, { k: 'v' }, descriptor('application/vnd.example.config.v1+json', cfg));
        const res = await http().request('GET', `/v2/${r}/referrers/${subject.manifestDigest}`);
        assertStatus(res, 200);
        const idx = json<Index>(res);
        assert.deepEqual(
          idx.manifests.map((d) => [d.digest, d.artifactType]),
          [[art.digest, 'application/vnd.example.config.v1+json']],
        );
      });

      spec('discovery.referrers-unknown-subject', 'referrers of an unknown digest is an empty index', async () => {
        const r = repo('discovery/referrers-empty');
        await ops().pushImage(r, ['base']);
        const res = await http().request('GET', `/v2/${r}/referrers/${randomDigest()}`);
        assertStatus(res, 200);
        assert.match(header(res, 'content-type') ?? '', /^application\/vnd\.oci\.image\.index\.v1\+json\b/);
        const idx = json<Index>(res);
        assert.equal(idx.schemaVersion, 2);
        assert.equal(idx.mediaType, MT.ociIndex);
        assert.deepEqual(idx.manifests, []);
      });
    });

    // -----------------------------------------------------------------------
    describe('content management', () => {
      spec('manage.delete-tag', 'DELETE manifest by tag removes only that tag', async () => {
        const r = repo('manage/delete-tag');
        const img = await ops().pushImage(r, ['keep', 'drop']);
        const del = await http().request('DELETE', `/v2/${r}/manifests/drop`);
        assertStatus(del, 202);
        assertError(await ops().getManifest(r, 'drop'), 404, ['MANIFEST_UNKNOWN']);
        const keep = await ops().getManifest(r, 'keep');
        assertStatus(keep, 200, 'other tag survives');
        assert.deepEqual(keep.body, img.manifest);
        assertStatus(await ops().getManifest(r, img.manifestDigest), 200, 'manifest survives by digest');
        assert.deepEqual((await ops().tags(r)).tags, ['keep']);
      });

      spec('manage.delete-manifest-digest', 'DELETE manifest by digest answers 202, then it is gone', async () => {
        const r = repo('manage/delete-digest');
        const img = await ops().pushImage(r, ['t']);
        const del = await http().request('DELETE', `/v2/${r}/manifests/${img.manifestDigest}`);
        assertStatus(del, 202);
        assertError(await ops().getManifest(r, img.manifestDigest), 404, ['MANIFEST_UNKNOWN']);
        assertError(await ops().getManifest(r, img.manifestDigest, ACCEPT_ALL_MANIFESTS, 'HEAD'), 404, ['MANIFEST_UNKNOWN']);
        assertError(await ops().getManifest(r, 't'), 404, ['MANIFEST_UNKNOWN'], 'tag of a deleted manifest');
      });

      spec('manage.delete-blob', 'DELETE blob answers 202, then HEAD is 404', async () => {
        const r = repo('manage/delete-blob');
        const digest = await ops().pushBlob(r, randomBytes(300));
        const del = await http().request('DELETE', `/v2/${r}/blobs/${digest}`);
        assertStatus(del, 202);
        assertStatus(await http().request('HEAD', `/v2/${r}/blobs/${digest}`), 404);
        assertError(await http().request('GET', `/v2/${r}/blobs/${digest}`), 404, ['BLOB_UNKNOWN']);
      });
    });

    // -----------------------------------------------------------------------
    describe('errors', () => {
      spec('errors.unknown-route', 'unknown routes under /v2/ answer 404 with the OCI error envelope', async () => {
        for (const path of [`/v2/${repo('x')}/not-a-route`, `/v2/${repo('x')}/blobs/`, '/v2/_nothing/here/at/all']) {
          const res = await http().request('GET', path);
          assertStatus(res, 404);
          assertEnvelope(res);
        }
      });

      const invalidName = async (name: string): Promise<void> => {
        const probes: [string, string][] = [
          ['GET', `/v2/${name}/manifests/latest`],
          ['GET', `/v2/${name}/blobs/${randomDigest()}`],
          ['GET', `/v2/${name}/tags/list`],
          ['POST', `/v2/${name}/blobs/uploads/`],
        ];
        for (const [method, path] of probes) {
          const res = await http().request(method, path);
          assertError(res, [400, 404], ['NAME_INVALID', 'NAME_UNKNOWN']);
          if (res.status === 404) assertError(res, 404, ['NAME_UNKNOWN']);
          else assertError(res, 400, ['NAME_INVALID']);
        }
      };

      spec('errors.name-invalid-uppercase', 'an uppercase repository name answers NAME_INVALID/NAME_UNKNOWN', async () => {
        await invalidName(repo('UpperCase'));
      });

      spec('errors.name-invalid-dot-dot', 'a `..` repository name answers NAME_INVALID/NAME_UNKNOWN', async () => {
        await invalidName('../x');
        await invalidName(`${repo('a')}/../b`);
      });

      spec('errors.name-invalid-too-long', 'a 300-character repository name answers NAME_INVALID/NAME_UNKNOWN', async () => {
        const base = repo('long/');
        await invalidName(base + 'a'.repeat(300 - base.length));
      });
    });

    // -----------------------------------------------------------------------
    describe('suite', () => {
      it('suite.known-gaps-are-test-ids: every known gap names a test of this suite', () => {
        const unknown = [...gaps].filter((g) => !registered.has(g));
        assert.deepEqual(unknown, [], `known gaps of ${target.name} that match no test id`);
      });
    });
  });
}
