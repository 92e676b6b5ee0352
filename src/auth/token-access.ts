/**
 * AccessPolicy for an authenticated registry (Docker token auth + Basic).
 *
 *   Authorization: Bearer <jwt>  — a token from /token; the request needs
 *       every action in the token's `access` for the repository (or the
 *       catalog entry). A token whose account was removed (its identity is
 *       gone, even when an account of the same name was made since) or
 *       changed (generation) is rejected.
 *   Authorization: Basic …       — checked against the accounts directly.
 *   nothing                      — anonymous: only pulls matching the
 *       anonymous-pull globs (off by default).
 *
 * Refusals (detail as distribution writes it: [{Type, Name, Action}]):
 * 401 UNAUTHORIZED with a Bearer challenge when a (better) token
 * could help — no credentials, bad token, or a token lacking a scope the
 * account holds; 403 DENIED when the account itself lacks the permission.
 * The principal's `canRead` reflects the account's current grants (mount
 * sources, catalog filtering).
 */
import type { IncomingMessage } from 'node:http';
import { isValidRepositoryName } from '../oci/names.js';
import { RegistryError } from '../registry/errors.js';
import type { AccessNeed, AccessPolicy, Principal } from '../server/access.js';
import { parseBasic, type Authenticator } from './authenticator.js';
import { bearerChallenge, type ChallengeOptions } from './challenge.js';
import { allowedActions } from './permissions.js';
import type { AuthStore, Grants } from './store.js';
import { isCurrentSubject, type TokenIssuer, type VerifiedAccess } from './tokens.js';
import { clientAddress } from '../util/client-address.js';

export interface TokenAccessDeps {
  readonly store: AuthStore;
  readonly authn: Authenticator;
  readonly tokens: TokenIssuer;
  /** What anonymous callers may do (pull globs only). */
  readonly anonymous: Grants;
  readonly challenge: ChallengeOptions;
}

export const ANONYMOUS = 'anonymous';

/** The client's address (behind a trusted proxy, the one it forwarded: util/client-address.ts). */
export function clientIp(req: IncomingMessage): string {
  return clientAddress(req);
}

function principal(name: string, grants: Grants): Principal {
  return { name, canRead: (repo) => allowedActions(grants, repo).has('pull'), admin: grants.admin };
}

function tokenAllows(t: VerifiedAccess, need: AccessNeed): boolean {
  if ('ping' in need) return true;
  // No token scope grants the admin API: it takes Basic auth (or a console session).
  if ('admin' in need) return false;
  if ('catalog' in need) return t.access.some((e) => e.type === 'registry' && e.name === 'catalog' && e.actions.includes('*'));
  const held = new Set(t.access.filter((e) => e.type === 'repository' && e.name === need.repo).flatMap((e) => e.actions));
  return need.actions.every((a) => held.has(a));
}

export class TokenAccess implements AccessPolicy {
  constructor(private readonly d: TokenAccessDeps) {}

  private unauthorized(req: IncomingMessage, need: AccessNeed, error?: 'invalid_token' | 'insufficient_scope'): RegistryError {
    const scope = 'repo' in need && isValidRepositoryName(need.repo) ? [{ Type: 'repository', Name: need.repo, Action: need.actions.join(',') }] : undefined;
    return new RegistryError('UNAUTHORIZED', 'authentication required', scope, 401, bearerChallenge(req, this.d.challenge, need, error));
  }

  private denied(need: AccessNeed): RegistryError {
    const detail = 'repo' in need && isValidRepositoryName(need.repo) ? [{ Type: 'repository', Name: need.repo, Action: need.actions.join(',') }] : undefined;
    return new RegistryError('DENIED', 'requested access to the resource is denied', detail, 403);
  }

  /** Whether `grants` allow `need` (ping: always; catalog: any account, anonymous only with anonymous pull; admin: admins). */
  private grantsAllow(grants: Grants, need: AccessNeed, anonymous: boolean): boolean {
    if ('ping' in need) return true;
    if ('admin' in need) return !anonymous && grants.admin;
    if ('catalog' in need) return !anonymous || grants.admin || grants.pull.length > 0 || grants.push.length > 0;
    const allowed = allowedActions(grants, need.repo);
    return need.actions.every((a) => allowed.has(a));
  }

  private assertName(need: AccessNeed): void {
    if ('repo' in need && !isValidRepositoryName(need.repo)) {
      throw new RegistryError('NAME_INVALID', 'invalid repository name', { name: need.repo.slice(0, 300) });
    }
  }

  async authorize(req: IncomingMessage, need: AccessNeed): Promise<Principal> {
    const header = req.headers.authorization;
    if (header !== undefined && /^Bearer\s/i.test(header)) return this.bearer(req, need, header.replace(/^Bearer\s+/i, '').trim());
    if (header !== undefined && /^Basic\s/i.test(header)) {
      const creds = parseBasic(header);
      if (!creds) throw this.unauthorized(req, need);
      const account = await this.d.authn.login(creds, clientIp(req), 'basic', bearerChallenge(req, this.d.challenge, need));
      this.assertName(need);
      if (!this.grantsAllow(account, need, false)) throw this.denied(need);
      return principal(account.name, account);
    }
    // Anonymous. /v2/ always answers the challenge, so clients start the token flow.
    if ('repo' in need && this.grantsAllow(this.d.anonymous, need, true)) {
      return principal(ANONYMOUS, this.d.anonymous);
    }
    throw this.unauthorized(req, need);
  }

  private async bearer(req: IncomingMessage, need: AccessNeed, token: string): Promise<Principal> {
    const t = await this.d.tokens.verifyAccess(token);
    if (!t) throw this.unauthorized(req, need, 'invalid_token');
    let grants: Grants = this.d.anonymous;
    if (t.subject !== undefined) {
      const account = await this.d.store.get(t.subject.name);
      if (!isCurrentSubject(t.subject, account)) throw this.unauthorized(req, need, 'invalid_token');
      grants = account!;
    }
    this.assertName(need);
    const anonymous = t.subject === undefined;
    if (tokenAllows(t, need) && this.grantsAllow(grants, need, anonymous)) return principal(t.subject?.name ?? ANONYMOUS, grants);
    if ('admin' in need) throw new RegistryError('DENIED', 'the admin API takes Basic auth or a console session, not a registry token', undefined, 403);
    if (anonymous || this.grantsAllow(grants, need, anonymous)) throw this.unauthorized(req, need, 'insufficient_scope');
    throw this.denied(need);
  }
}
