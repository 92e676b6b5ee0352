/**
 * Authorization for one registry host, as the distribution token spec and
 * docker's clients do it:
 *
 * - The registry's challenge (from `GET /v2/` or any 401) says which scheme.
 * - Basic: credentials from the auth store on every request.
 * - Bearer: a token from the challenge's realm for the scopes a request needs.
 *   Tokens are cached per credential set and reused for every request they
 *   cover; one token request can carry several scopes (those declared ahead
 *   with declareScopes(), e.g. every destination repository of a mirror run,
 *   plus same-registry sources for mounting) unless skipMultipleScopes.
 * - A token is refreshed before it expires, and dropped when the registry
 *   answers 401 to it (expired early, revoked, or insufficient scope).
 * - Credentials with docker's `identitytoken` (an OAuth refresh token) get
 *   their tokens as docker does: POST to the realm with
 *   grant_type=refresh_token (they cannot answer a Basic challenge). When
 *   the answer carries a new refresh token it replaces the old one for the
 *   rest of the run, and these requests go one at a time: a registry that
 *   rotates single-use refresh tokens (airlock does) would take a second use
 *   of a spent one as theft and revoke them all.
 * - No credentials while the auth files leave the registry to a credential
 *   helper that gave none (not on PATH, none stored, failed): said once
 *   through onWarning, and in the error when anonymous access is refused.
 * - A refusal (401/403 from the token realm, or from the registry itself to
 *   a request that was re-authorized) is final for that credential set: the
 *   error is kept and every later request with the same credentials fails
 *   with it at once, without asking again (repeated failed logins only trip
 *   the registry's rate limit). Until a credential set has been given one
 *   token, its token requests go one at a time, so that a refusal is met once.
 */
import type { AuthStore, Credentials } from './auth-file.js';
import type { Challenge } from './challenge.js';

export type Action = 'pull' | 'push' | 'delete';

export interface Scope {
  readonly repository: string;
  readonly actions: readonly Action[];
}

export function scopeString(s: Scope): string {
  return `repository:${s.repository}:${[...s.actions].sort().join(',')}`;
}

export interface TokenRequest {
  readonly url: string;
  /** Basic credentials, if any. */
  readonly authorization?: string;
  /** An application/x-www-form-urlencoded body: POST it instead of a GET. */
  readonly form?: URLSearchParams;
}

/** Fetches a token; returns status and parsed JSON (undefined when the body is not JSON). */
export type TokenFetcher = (req: TokenRequest, signal?: AbortSignal) => Promise<{ status: number; body: unknown }>;

export interface RegistryAuthOptions {
  readonly skipMultipleScopes: boolean;
  readonly now?: () => number;
  /** Told once when a challenged registry has no credentials but a credential helper is named for it. */
  readonly onWarning?: (message: string) => void;
}

/** client_id of refresh-token grants (docker sends its own name). */
const CLIENT_ID = 'airlock';

export class RegistryAuthError extends Error {
  readonly code = 'ERR_REGISTRY_AUTH';
  /** The 401/403 of a refusal (final for the credentials that met it); undefined for other auth failures. */
  readonly status: number | undefined;
  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options);
    this.name = 'RegistryAuthError';
    this.status = options?.status;
  }
  /** True when the registry refused the credentials (or anonymous access): nothing with them will work. */
  get refused(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

interface CachedToken {
  readonly header: string;
  readonly atoms: ReadonlySet<string>;
  /** Refresh from here on: a quarter of the lifetime, at most 15 s, before expiry. */
  readonly refreshAt: number;
}
/** Longest token-request URL built when bundling scopes. */
const MAX_TOKEN_URL = 6000;

const atomsOf = (s: Scope): string[] => s.actions.map((a) => `${s.repository}\u0000${a}`);

/** One scope per repository, actions united. */
function mergeScopes(scopes: readonly Scope[]): Scope[] {
  const by = new Map<string, Set<Action>>();
  for (const s of scopes) by.set(s.repository, new Set([...(by.get(s.repository) ?? []), ...s.actions]));
  return [...by].map(([repository, actions]) => ({ repository, actions: [...actions] }));
}

function basic(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`;
}

export class RegistryAuth {
  private challenge: Challenge | undefined;
  private readonly tokens = new Map<string, CachedToken[]>();
  private readonly inflight = new Map<string, Promise<CachedToken>>();
  private readonly declared: Scope[] = [];
  private helperWarned = false;
  /** The latest refresh token per credentials key, when the realm rotated the stored identitytoken. */
  private readonly rotated = new Map<string, string>();
  private refreshQueue: Promise<unknown> = Promise.resolve();
  /** Refusals met, per credentials key ('' = anonymous): final for the run. */
  private readonly refusals = new Map<string, RegistryAuthError>();
  /** Credentials keys that have been given a token (their requests may run in parallel). */
  private readonly proven = new Set<string>();
  /** Token requests of not yet proven credentials, one at a time. */
  private firstQueue: Promise<unknown> = Promise.resolve();
  /** Token requests made (for tests and the run summary). */
  tokenRequests = 0;

  constructor(
    readonly registry: string,
    private readonly store: AuthStore,
    private readonly fetchToken: TokenFetcher,
    private readonly opts: RegistryAuthOptions,
  ) {}

  /** Why there are no credentials, when the credential helper the auth files name gave none. */
  private helperNote(): string | undefined {
    const problem = this.store.helperProblem(this.registry);
    if (problem === undefined) return undefined;
    return `no credentials for ${this.registry}: ${problem}; use \`airlock login ${this.registry}\` or -a/--registry-config FILE`;
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  /** Records the registry's challenge (from the ping or a 401). */
  setChallenge(c: Challenge | undefined): void {
    if (c !== undefined && (c.scheme === 'bearer' || c.scheme === 'basic')) this.challenge = c;
  }

  get scheme(): string | undefined {
    return this.challenge?.scheme;
  }

  /** Scopes to bundle into token requests for this registry. */
  declareScopes(scopes: readonly Scope[]): void {
    for (const s of scopes) {
      const known = this.declared.find((d) => d.repository === s.repository);
      if (known === undefined) this.declared.push({ repository: s.repository, actions: [...s.actions] });
      else if (s.actions.some((a) => !known.actions.includes(a))) {
        this.declared[this.declared.indexOf(known)] = { repository: s.repository, actions: [...new Set([...known.actions, ...s.actions])] };
      }
    }
  }

  /** The Authorization header value for a request needing `scopes` (first = the target), if any. */
  async authorization(scopes: readonly Scope[], signal?: AbortSignal): Promise<string | undefined> {
    const c = this.challenge;
    if (c === undefined) return undefined;
    const creds = this.store.lookup(this.registry, scopes[0]?.repository);
    const refusal = this.refusals.get(creds?.key ?? '') ?? this.refusals.get(`${creds?.key ?? ''}\u0002${scopes[0]?.repository ?? ''}`);
    if (refusal !== undefined) throw refusal;
    if (creds === undefined && !this.helperWarned) {
      this.helperWarned = true;
      const note = this.helperNote();
      if (note !== undefined) this.opts.onWarning?.(note);
    }
    if (c.scheme === 'basic') return creds && creds.identityToken === undefined ? basic(creds) : undefined;
    const key = creds?.key ?? '';
    const need = scopes.flatMap(atomsOf);
    const now = this.now();
    const list = (this.tokens.get(key) ?? []).filter((t) => t.refreshAt > now);
    this.tokens.set(key, list);
    const hit = list.find((t) => need.every((a) => t.atoms.has(a)));
    if (hit) return hit.header;
    const wanted = this.bundle(scopes, creds);
    const flightKey = `${key}\u0001${wanted.map(scopeString).join(' ')}`;
    let p = this.inflight.get(flightKey);
    if (p === undefined) {
      const ask = (): Promise<CachedToken> => {
        const known = this.refusals.get(key);
        return known !== undefined ? Promise.reject(known) : this.requestToken(c, wanted, creds, signal);
      };
      if (this.proven.has(key)) p = ask();
      else {
        p = this.firstQueue.then(ask, ask);
        this.firstQueue = p.catch(() => undefined);
      }
      p = p.then((t) => (this.proven.add(key), t)).finally(() => this.inflight.delete(flightKey));
      this.inflight.set(flightKey, p);
    }
    const token = await p;
    if (!(this.tokens.get(key) ?? []).includes(token)) this.tokens.set(key, [...(this.tokens.get(key) ?? []), token]);
    return token.header;
  }

  /**
   * Records the registry's own 401/403 to a request made with the credentials
   * for `repository` (after a re-authorization) and returns the error to
   * throw. Under Basic a 401 is final for those credentials; a bearer
   * registry's refusal is final for them in that repository (a token may
   * hold less than was asked for).
   */
  refuse(status: number, what: string, repository: string | undefined): RegistryAuthError {
    const creds = this.store.lookup(this.registry, repository);
    const key = this.challenge?.scheme === 'basic' && status === 401 ? (creds?.key ?? '') : `${creds?.key ?? ''}\u0002${repository ?? ''}`;
    const known = this.refusals.get(key) ?? this.refusals.get(creds?.key ?? '');
    if (known !== undefined) return known;
    const err = new RegistryAuthError(`${this.registry}: ${this.who(creds, status)} by ${what} (HTTP ${status})${this.advice(creds)}`, { status });
    this.refusals.set(key, err);
    return err;
  }

  /** Whose access was refused, naming the auth file and key (never the secret). */
  private who(creds: Credentials | undefined, status: number): string {
    if (creds === undefined) return `anonymous access refused (${this.helperNote() ?? 'no credentials found for it in the auth files searched'})`;
    const from = creds.file !== undefined ? ` from ${creds.file}` : '';
    if (creds.identityToken !== undefined) return `the identity token for "${creds.key}"${from} was rejected (expired or revoked?)`;
    return status === 403 ? `credentials for "${creds.key}"${from} were rejected (access denied)` : `credentials for "${creds.key}"${from} were rejected`;
  }

  /** What to do about a refusal. */
  private advice(creds: Credentials | undefined): string {
    return creds === undefined
      ? `; run \`airlock login ${this.registry}\` or pass -a/--registry-config FILE (e.g. the pull secret)`
      : `; run \`airlock login ${this.registry}\` again, or check that entry (e.g. the pull secret) and its access`;
  }

  /** Forgets `header` after a 401 and adopts the 401's challenge. */
  unauthorized(header: string | undefined, challenge: Challenge | undefined): void {
    this.setChallenge(challenge);
    if (header === undefined) return;
    for (const [k, list] of this.tokens) this.tokens.set(k, list.filter((t) => t.header !== header));
  }

  private bundle(scopes: readonly Scope[], creds: Credentials | undefined): Scope[] {
    const out = mergeScopes(scopes);
    if (this.opts.skipMultipleScopes) return out;
    let length = out.reduce((n, s) => n + scopeString(s).length + 8, 0);
    for (const d of this.declared) {
      const i = out.findIndex((s) => s.repository === d.repository);
      if (i >= 0) {
        out[i] = { repository: d.repository, actions: [...new Set([...out[i]!.actions, ...d.actions])] };
        continue;
      }
      if (this.store.lookup(this.registry, d.repository)?.key !== creds?.key) continue;
      length += scopeString(d).length + 8;
      if (length > MAX_TOKEN_URL) break;
      out.push(d);
    }
    return out;
  }

  private basicRequest(c: Challenge, scopes: Scope[], creds: Credentials | undefined, realm: URL): TokenRequest {
    const url = new URL(realm);
    if (c.params.service !== undefined) url.searchParams.set('service', c.params.service);
    for (const s of scopes) url.searchParams.append('scope', scopeString(s));
    return { url: url.toString(), authorization: creds ? basic(creds) : undefined };
  }

  /** Runs refresh-token grants one after another (each may use up the token the next one needs). */
  private inRefreshOrder<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.refreshQueue.then(fn, fn);
    this.refreshQueue = run.catch(() => undefined);
    return run;
  }

  /** POST grant_type=refresh_token with the newest refresh token of `creds`; keeps the one the answer rotates to. */
  private async refreshGrant(creds: Credentials, c: Challenge, scopes: Scope[], realm: URL, signal?: AbortSignal): Promise<{ status: number; body: unknown }> {
    const current = this.rotated.get(creds.key) ?? creds.identityToken!;
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: current, client_id: CLIENT_ID });
    if (c.params.service !== undefined) form.set('service', c.params.service);
    if (scopes.length > 0) form.set('scope', scopes.map(scopeString).join(' '));
    const res = await this.fetchToken({ url: realm.toString(), form }, signal);
    const next = (res.body as { refresh_token?: unknown } | undefined)?.refresh_token;
    if (res.status === 200 && typeof next === 'string' && next !== '') this.rotated.set(creds.key, next);
    return res;
  }

  private async requestToken(c: Challenge, scopes: Scope[], creds: Credentials | undefined, signal?: AbortSignal): Promise<CachedToken> {
    const realm = c.params.realm;
    if (realm === undefined || !/^https?:\/\//.test(realm)) throw new RegistryAuthError(`${this.registry}: bearer challenge without a usable realm`);
    const url = new URL(realm);
    this.tokenRequests++;
    let res: { status: number; body: unknown };
    try {
      res = creds?.identityToken !== undefined ? await this.inRefreshOrder(() => this.refreshGrant(creds, c, scopes, url, signal)) : await this.fetchToken(this.basicRequest(c, scopes, creds, url), signal);
    } catch (e) {
      throw new RegistryAuthError(`${this.registry}: token request to ${url.origin}${url.pathname} failed: ${(e as Error).message}`, { cause: e });
    }
    if (res.status === 401 || res.status === 403) {
      const err = new RegistryAuthError(`${this.registry}: ${this.who(creds, res.status)} by ${url.origin}${url.pathname} (HTTP ${res.status})${this.advice(creds)}`, { status: res.status });
      this.refusals.set(creds?.key ?? '', err);
      throw err;
    }
    const body = res.body as { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown } | undefined;
    const token = typeof body?.token === 'string' && body.token !== '' ? body.token : typeof body?.access_token === 'string' ? body.access_token : undefined;
    if (res.status !== 200 || token === undefined || token === '') {
      throw new RegistryAuthError(`${this.registry}: token endpoint ${url.origin}${url.pathname} answered HTTP ${res.status} without a token`);
    }
    const expiresIn = typeof body?.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60;
    const issued = typeof body?.issued_at === 'string' ? Date.parse(body.issued_at) : NaN;
    const start = Number.isNaN(issued) || issued > this.now() ? this.now() : issued;
    return { header: `Bearer ${token}`, atoms: new Set(scopes.flatMap(atomsOf)), refreshAt: start + expiresIn * 1000 - Math.min(15_000, expiresIn * 250) };
  }
}
