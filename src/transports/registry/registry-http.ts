/**
 * HTTP to one registry host over an undici keep-alive pool: scheme discovery
 * (`GET /v2/` over https; plain http only with `insecure`), authorization
 * (RegistryAuth), retries with backoff (retry.ts) for requests whose body can
 * be replayed, and redirects that never carry the registry's Authorization.
 * A 401 that survives re-authorization, or a 403, is thrown as the
 * RegistryAuthError of RegistryAuth.refuse (never returned).
 */
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { Agent, request } from '../../util/undici-core.js';
import type { AuthStore } from './auth-file.js';
import { parseChallenges, type Challenge } from './challenge.js';
import { RegistryAuth, type Scope, type TokenRequest } from './registry-auth.js';
import { describeConnectError, readLimited, RegistryHttpError, RegistryUnreachableError } from './http-errors.js';
import { registryConnector, trustedCas } from './tls-trust.js';
import { backoffDelay, isRetryableError, isRetryableStatus, parseRetryAfter, waitFor, type RetryPolicy } from './retry.js';

export interface RegistryHttpOptions {
  /** Allow plain http and skip TLS verification (oc's --insecure). */
  readonly insecure: boolean;
  /** Extra PEM CA bundle trusted besides the system and Node roots. */
  readonly caFile?: string;
  readonly auth: AuthStore;
  readonly retry: RetryPolicy;
  readonly skipMultipleScopes: boolean;
  /** Keep-alive connections per origin. */
  readonly connections: number;
  readonly userAgent: string;
  /**
   * Longest wait for response headers, counted from the end of the request
   * body or from the moment the registry stopped reading it (a stalled upload).
   */
  readonly headersTimeoutMs: number;
  /** Longest silence while a response body streams. */
  readonly bodyTimeoutMs: number;
  /** Appended to "cannot reach registry" errors (which flag allows http / unverified TLS here). */
  readonly insecureHint?: string;
  /** Told about every retry this client makes (for progress output); never about secrets. */
  readonly onRetry?: (r: RetryNotice) => void;
  /** Told about problems worth a warning line (e.g. credentials left to a credential helper); never secrets. */
  readonly onWarning?: (message: string) => void;
}

/** One retry, as reported to RegistryHttpOptions.onRetry. */
export interface RetryNotice {
  /** `METHOD host/path` without the query (upload locations carry state tokens). */
  readonly what: string;
  /** 1 for the first retry. */
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: string;
}

export type Method = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  readonly method: Method;
  /** A path (`/v2/...`, query included) or an absolute URL (upload Locations). */
  readonly path: string;
  readonly headers?: Record<string, string>;
  /** A Buffer is replayed on retries; a stream body is sent once. */
  readonly body?: Buffer | Readable;
  /** What the request needs (several for a cross-repository mount). */
  readonly scope?: Scope | readonly Scope[];
  readonly signal?: AbortSignal;
  /** Follow 3xx to another location WITHOUT the Authorization header (blob GETs). */
  readonly followRedirects?: boolean;
  /**
   * Retry transient failures here (default true for replayable bodies). Blob
   * transfers pass false: the copy engine retries the whole GET → PUT.
   */
  readonly retry?: boolean;
  /** Overrides headersTimeoutMs for this request (e.g. a commit the registry verifies at length). */
  readonly headersTimeoutMs?: number;
}

export type Response = Dispatcher.ResponseData;

/** The first value of a response header (lower-case name). */
export function header(res: Response, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

const MAX_REDIRECTS = 5;

/** A registry verifying a committed blob is given one more second per this many bytes. */
const COMMIT_BYTES_PER_SECOND = 16 << 20;

export class RegistryHttp {
  readonly auth: RegistryAuth;
  private readonly agent: Agent;
  private originP: Promise<string> | undefined;
  /** Counters for summaries and tests. */
  readonly stats = { requests: 0, retries: 0 };

  constructor(
    readonly registry: string,
    private readonly opts: RegistryHttpOptions,
  ) {
    const ca = opts.insecure ? undefined : trustedCas(opts.caFile, registry);
    this.agent = new Agent({
      connections: opts.connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: opts.headersTimeoutMs,
      bodyTimeout: opts.bodyTimeoutMs,
      connect: registryConnector(opts.insecure, ca),
    });
    this.auth = new RegistryAuth(registry, opts.auth, (req, signal) => this.fetchToken(req, signal), {
      skipMultipleScopes: opts.skipMultipleScopes,
      onWarning: opts.onWarning,
    });
  }

  /**
   * How long to wait for the answer to a blob commit (the PUT that ends an
   * upload): the request timeout plus a second per 16 MiB, because registries
   * may re-read or copy the whole blob (S3 back ends) before answering.
   */
  commitTimeoutMs(size: number): number {
    return this.opts.headersTimeoutMs + Math.ceil(size / COMMIT_BYTES_PER_SECOND) * 1000;
  }

  /** `https://host` or, with insecure and no TLS there, `http://host`. Pings once. */
  origin(signal?: AbortSignal): Promise<string> {
    if (this.originP === undefined) this.remember(this.discover((origin) => this.probe(origin, signal)));
    return this.originP!;
  }

  private remember(found: Promise<{ origin: string }>): void {
    const p = found.then((f) => f.origin);
    p.catch(() => (this.originP = undefined));
    this.originP = p;
  }

  /** Origins to try, in order of preference. */
  private candidates(): string[] {
    return [`https://${this.registry}`, ...(this.opts.insecure ? [`http://${this.registry}`] : [])];
  }

  /**
   * Tries every candidate origin AT THE SAME TIME (over a slow link, a failed
   * TLS attempt first would cost its round trips before http is even tried):
   * https wins when it answers; the http answer is used only when https
   * failed. Nothing sent here carries credentials.
   */
  private async discover<R extends { origin: string; challenge?: Challenge }>(
    attempt: (origin: string) => Promise<R | { error: unknown }>,
    discard: (r: R) => Promise<void> = async () => undefined,
  ): Promise<R> {
    const probes = this.candidates().map(attempt);
    let lastError: unknown;
    let found: R | undefined;
    for (const p of probes) {
      if (found !== undefined) {
        // A later candidate's answer is not used: release its connection.
        void p.then((r) => ('error' in r ? undefined : discard(r))).catch(() => undefined);
        continue;
      }
      const r = await p;
      if ('error' in r) lastError = r.error;
      else found = r;
    }
    if (found !== undefined) {
      if (found.challenge !== undefined) this.auth.setChallenge(found.challenge);
      return found;
    }
    const reason = describeConnectError(lastError);
    const hint = this.opts.insecure ? '' : ` (for plain http or an unverified certificate use ${this.opts.insecureHint ?? '--insecure'}; for a private CA --certificate-authority)`;
    throw new RegistryUnreachableError(`cannot reach registry ${this.registry}: ${reason}${hint}`, { cause: lastError });
  }

  /**
   * The first request to the registry stands in for the `GET /v2/` ping when
   * it can be sent twice (GET or HEAD, no stream body): it goes to every
   * candidate origin, the answer of the one discover() picks is its answer,
   * and requests arriving meanwhile wait for it as they would for a ping.
   * One request fewer per registry and run; a 401 teaches the challenge as
   * the ping's would.
   */
  private sendFirst(req: HttpRequest): Promise<{ origin: string; res: Response }> | undefined {
    if (this.originP !== undefined || (req.method !== 'GET' && req.method !== 'HEAD') || req.body !== undefined || /^https?:\/\//.test(req.path)) return undefined;
    const found = this.discover<{ origin: string; res: Response; challenge?: Challenge }>(
      async (origin) => {
        try {
          const res = await this.withRetries(this.describe(req.method, req.path), () => this.raw(origin, req, undefined), req.signal, req.retry !== false);
          // Learnt before anyone waiting for the origin goes on, so they send credentials at once.
          const challenge = res.statusCode === 401 ? parseChallenges(res.headers['www-authenticate'])[0] : undefined;
          return { origin, res, ...(challenge ? { challenge } : {}) };
        } catch (e) {
          return { error: e };
        }
      },
      (r) => r.res.body.dump(),
    );
    this.remember(found);
    return found;
  }

  /** One `GET /v2/` on `origin`: the origin and its auth challenge, or why it is not usable (never rejects). */
  private async probe(origin: string, signal?: AbortSignal): Promise<{ origin: string; challenge?: Challenge } | { error: unknown }> {
    try {
      const res = await this.withRetries(`GET ${origin}/v2/`, () => this.raw(origin, { method: 'GET', path: '/v2/', signal }, undefined), signal, true);
      const status = res.statusCode;
      const challenge = status === 401 ? parseChallenges(res.headers['www-authenticate'])[0] : undefined;
      await res.body.dump();
      if (status === 200 || status === 401 || status === 404) return { origin, ...(challenge ? { challenge } : {}) };
      return { error: new RegistryHttpError(`${this.registry}: GET ${origin}/v2/ answered HTTP ${status}`, status, undefined) };
    } catch (e) {
      return { error: e };
    }
  }

  private raw(origin: string, req: HttpRequest, authorization: string | undefined): Promise<Response> {
    this.stats.requests++;
    const abs = /^https?:\/\//.test(req.path);
    const url = abs ? new URL(req.path) : undefined;
    const sameOrigin = url === undefined || url.origin === origin;
    const headers: Record<string, string> = { 'user-agent': this.opts.userAgent, ...req.headers };
    if (authorization !== undefined && sameOrigin) headers.authorization = authorization;
    return request(this.agent, {
      // undici closes the connection after every HEAD unless told not to;
      // registries answer HEAD correctly, and reconnecting costs more than the request.
      reset: false,
      origin: url?.origin ?? origin,
      path: url ? url.pathname + url.search : req.path,
      method: req.method,
      headers,
      body: req.body,
      signal: req.signal,
      ...(req.headersTimeoutMs !== undefined ? { headersTimeout: req.headersTimeoutMs } : {}),
    });
  }

  /** `METHOD host/path` for messages: no query string (upload state, tokens). */
  private describe(method: string, path: string): string {
    const abs = /^https?:\/\//.test(path);
    const pathname = abs ? new URL(path).pathname : path.split('?')[0]!;
    return `${method} ${abs ? new URL(path).host : this.registry}${pathname}`;
  }

  private async withRetries(what: string, attempt: () => Promise<Response>, signal: AbortSignal | undefined, replayable: boolean): Promise<Response> {
    const policy = this.opts.retry;
    const retrying = (n: number, delayMs: number, error: string): Promise<void> => {
      this.stats.retries++;
      this.opts.onRetry?.({ what, attempt: n + 1, delayMs, error });
      return waitFor(delayMs, signal);
    };
    for (let n = 0; ; n++) {
      let res: Response;
      try {
        res = await attempt();
      } catch (e) {
        if (!replayable || n >= policy.times || !isRetryableError(e) || signal?.aborted) throw e;
        await retrying(n, backoffDelay(n, policy), describeConnectError(e));
        continue;
      }
      if (!replayable || n >= policy.times || !isRetryableStatus(res.statusCode)) return res;
      const ra = res.headers['retry-after'];
      await res.body.dump();
      await retrying(n, backoffDelay(n, policy, parseRetryAfter(Array.isArray(ra) ? ra[0] : ra)), `HTTP ${res.statusCode}`);
    }
  }

  /**
   * Sends a request with authorization, one re-authorization after a 401,
   * retries (Buffer or no body only) and optional redirect following.
   * The caller owns the response body.
   */
  async send(req: HttpRequest): Promise<Response> {
    const firstP = this.sendFirst(req);
    let first = firstP && (await firstP);
    const origin = first?.origin ?? (await this.origin(req.signal));
    const replayable = !(req.body !== undefined && !Buffer.isBuffer(req.body));
    const retrying = replayable && req.retry !== false;
    for (let reauth = 0; ; reauth++) {
      const authorization = first ? undefined : await this.auth.authorization(req.scope === undefined ? [] : Array.isArray(req.scope) ? req.scope : [req.scope as Scope], req.signal);
      let res = first?.res ?? (await this.withRetries(this.describe(req.method, req.path), () => this.raw(origin, req, authorization), req.signal, retrying));
      first = undefined;
      if (res.statusCode === 401 && reauth === 0 && replayable) {
        const challenge = parseChallenges(res.headers['www-authenticate'])[0];
        if (challenge !== undefined) {
          await res.body.dump();
          this.auth.unauthorized(authorization, challenge);
          continue;
        }
      }
      // A stream body cannot be replayed: drop the token so the caller's retry gets a fresh one.
      if (res.statusCode === 401 && !replayable) this.auth.unauthorized(authorization, parseChallenges(res.headers['www-authenticate'])[0]);
      // Refused even after re-authorizing (or forbidden): final, one message for the registry (RegistryAuth.refuse).
      else if (res.statusCode === 401 || res.statusCode === 403) {
        await res.body.dump();
        const scopes = req.scope === undefined ? [] : Array.isArray(req.scope) ? req.scope : [req.scope as Scope];
        throw this.auth.refuse(res.statusCode, this.describe(req.method, req.path), scopes[0]?.repository);
      }
      for (let hops = 0; req.followRedirects && hops < MAX_REDIRECTS && [301, 302, 303, 307, 308].includes(res.statusCode); hops++) {
        const loc = res.headers.location;
        const where = Array.isArray(loc) ? loc[0] : loc;
        if (where === undefined) break;
        const base = /^https?:\/\//.test(req.path) ? req.path : origin + req.path;
        const target = new URL(where, base);
        await res.body.dump();
        // The registry's credentials stay with the registry: no Authorization here.
        res = await this.withRetries(
          `GET ${target.host}${target.pathname} (redirected)`,
          () => {
            this.stats.requests++;
            return request(this.agent, { origin: target.origin, path: target.pathname + target.search, method: 'GET', headers: { 'user-agent': this.opts.userAgent, ...req.headers }, signal: req.signal });
          },
          req.signal,
          retrying,
        );
      }
      return res;
    }
  }

  private async fetchToken(req: TokenRequest, signal?: AbortSignal): Promise<{ status: number; body: unknown }> {
    const u = new URL(req.url);
    const method = req.form === undefined ? 'GET' : 'POST';
    const body = req.form?.toString();
    const res = await this.withRetries(
      `${method} ${u.host}${u.pathname} (token)`,
      () => {
        this.stats.requests++;
        const headers: Record<string, string> = { 'user-agent': this.opts.userAgent, accept: 'application/json' };
        if (req.authorization !== undefined) headers.authorization = req.authorization;
        if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
        return request(this.agent, { origin: u.origin, path: u.pathname + u.search, method, headers, body, signal });
      },
      signal,
      true,
    );
    const text = await readLimited(res.body, 1 << 20);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.statusCode, body: parsed };
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
