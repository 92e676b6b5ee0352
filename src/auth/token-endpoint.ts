/**
 * The Docker token endpoint (`/token`), framework-free: the HTTP adapter
 * hands in the parsed request and sends back the answer.
 *
 *   GET  /token?service=…&scope=…&scope=…   Basic auth, or none (anonymous)
 *   POST /token  grant_type=password&username=…&password=…&scope=…[&access_type=offline]
 *   POST /token  grant_type=refresh_token&refresh_token=…&scope=…
 *
 * The access token holds the granted subset of the requested scopes (never
 * more than the account may do; a scope granted nothing is left out, as
 * distribution does).
 *
 * Refresh tokens are single use and rotate (OAuth 2.0 security BCP, RFC 9700
 * §4.14.2): an offline password login starts a family; each refresh uses up
 * the token presented and answers a new one of the same family; presenting a
 * used token again revokes the whole family, so whoever holds a stolen copy
 * and the owner cannot both go on. GET's `offline_token=true` gets no refresh
 * token: `docker login` asks that way, stores the answer as `identitytoken`
 * and replays it from every process, which single-use tokens cannot allow —
 * without one docker keeps the password, and each login is checked as such.
 */
import { randomUUID } from 'node:crypto';
import { ociErrorBody, RegistryError } from '../registry/errors.js';
import type { AuditLog } from './audit.js';
import type { Authenticator, Credentials } from './authenticator.js';
import { parseBasic } from './authenticator.js';
import { allowedActions } from './permissions.js';
import { parseScopes, toAccessEntry, type AccessEntry, type Scope } from './scopes.js';
import type { Account, AuthStore, Grants } from './store.js';
import { isCurrentSubject, type TokenIssuer } from './tokens.js';

export interface TokenRequest {
  readonly method: string;
  readonly query: URLSearchParams;
  /** Decoded application/x-www-form-urlencoded body of a POST. */
  readonly form?: URLSearchParams;
  readonly authorization?: string | undefined;
  readonly ip: string;
}

export interface TokenResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface TokenEndpointDeps {
  readonly store: AuthStore;
  readonly authn: Authenticator;
  readonly tokens: TokenIssuer;
  readonly anonymous: Grants;
  readonly audit: AuditLog;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', pragma: 'no-cache' };
const BASIC_CHALLENGE = { 'WWW-Authenticate': 'Basic realm="airlock"' };

/** The subset of `requested` that `grants` allow. */
export function grantScopes(grants: Grants, requested: readonly Scope[], anonymous: boolean): AccessEntry[] {
  const out: AccessEntry[] = [];
  for (const s of requested) {
    if (s.type === 'catalog') {
      if (!anonymous || grants.pull.length > 0) out.push(toAccessEntry(s));
      continue;
    }
    const allowed = allowedActions(grants, s.name);
    const actions = s.actions.filter((a) => allowed.has(a));
    if (actions.length) out.push(toAccessEntry({ type: 'repository', name: s.name, actions }));
  }
  return out;
}

export class TokenEndpoint {
  constructor(private readonly d: TokenEndpointDeps) {}

  async handle(req: TokenRequest): Promise<TokenResponse> {
    try {
      if (req.method === 'GET') return await this.get(req);
      if (req.method === 'POST') return await this.post(req);
      throw new RegistryError('UNSUPPORTED', 'use GET or POST on /token');
    } catch (e) {
      if (!(e instanceof RegistryError)) throw e;
      return { status: e.status, headers: { ...JSON_HEADERS, ...(e.headers ?? {}) }, body: ociErrorBody(e.code, e.message) };
    }
  }

  private async get(req: TokenRequest): Promise<TokenResponse> {
    const scopes = parseScopes(req.query.getAll('scope'));
    if (req.authorization === undefined) return this.answer(undefined, scopes, undefined);
    const creds = parseBasic(req.authorization);
    if (!creds) throw new RegistryError('UNAUTHORIZED', 'authentication required', undefined, 401, BASIC_CHALLENGE);
    return this.answer(await this.login(creds, req.ip), scopes, undefined);
  }

  private async post(req: TokenRequest): Promise<TokenResponse> {
    const form = req.form ?? new URLSearchParams();
    const scopes = parseScopes(form.getAll('scope'));
    const grant = form.get('grant_type');
    if (grant === 'password') {
      const username = form.get('username');
      const password = form.get('password');
      const creds = username && password !== null ? { username, password } : parseBasic(req.authorization);
      if (!creds) throw new RegistryError('UNAUTHORIZED', 'authentication required', undefined, 401, BASIC_CHALLENGE);
      const account = await this.login(creds, req.ip);
      return this.answer(account, scopes, form.get('access_type') === 'offline' ? randomUUID() : undefined);
    }
    if (grant === 'refresh_token') return this.refresh(form, scopes, req.ip);
    throw new RegistryError('UNSUPPORTED', 'grant_type must be password or refresh_token', undefined, 400);
  }

  /** grant_type=refresh_token: the token must be current for its account and unused; it is used up here. */
  private async refresh(form: URLSearchParams, scopes: readonly Scope[], ip: string): Promise<TokenResponse> {
    const r = await this.d.tokens.verifyRefresh(form.get('refresh_token') ?? '');
    const account = r ? await this.d.store.get(r.subject.name) : undefined;
    const use = r && isCurrentSubject(r.subject, account) ? await this.d.store.useRefresh(r.jti, Date.now()) : undefined;
    if (!r || !account || use?.outcome !== 'ok') {
      const user = (r?.subject.name ?? '').slice(0, 80);
      this.d.audit.record({ audit: 'login', user, ip, via: 'refresh', ok: false, ...(use?.outcome === 'replayed' ? { reason: 'refresh token replayed: its family is revoked' } : {}) });
      throw new RegistryError('UNAUTHORIZED', 'authentication required', undefined, 401, BASIC_CHALLENGE);
    }
    this.d.audit.record({ audit: 'login', user: account.name, ip, via: 'refresh', ok: true });
    return this.answer(account, scopes, r.family);
  }

  private login(creds: Credentials, ip: string): Promise<Account> {
    return this.d.authn.login(creds, ip, 'token', BASIC_CHALLENGE);
  }

  /** The access token, plus a refresh token of `family` when one is given (recorded before it is handed out). */
  private async answer(account: Account | undefined, scopes: readonly Scope[], family: string | undefined): Promise<TokenResponse> {
    const access = grantScopes(account ?? this.d.anonymous, scopes, account === undefined);
    const t = await this.d.tokens.issueAccess(account, access);
    const body: Record<string, unknown> = {
      token: t.token,
      access_token: t.token,
      expires_in: t.expiresIn,
      issued_at: t.issuedAt.toISOString(),
    };
    if (family !== undefined && account) {
      const rt = await this.d.tokens.issueRefresh(account, family);
      if (!(await this.d.store.recordRefresh({ jti: rt.jti, family, accountId: account.id, expiresAt: rt.expiresAt }))) {
        // A replay revoked the family while this answer was being made.
        throw new RegistryError('UNAUTHORIZED', 'authentication required', undefined, 401, BASIC_CHALLENGE);
      }
      body.refresh_token = rt.token;
    }
    if (access.length) body.scope = access.map((a) => `${a.type}:${a.name}:${a.actions.join(',')}`).join(' ');
    return { status: 200, headers: JSON_HEADERS, body: JSON.stringify(body) };
  }
}
