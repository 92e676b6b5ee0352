/**
 * Console sessions: a random 256-bit id (the cookie) and a CSRF token per
 * login, kept in memory (a restart logs everyone out). A session ends after
 * `idleMs` without a request, on logout, and as soon as its account is
 * removed or changed (password, grants: the generation moves), like tokens.
 * The id is stored only as its SHA-256, so a dump of the map holds no
 * usable cookie.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AccessNeed, Principal } from '../server/access.js';
import { allowedActions } from './permissions.js';
import type { Account, AuthStore } from './store.js';

export interface Session {
  readonly accountId: string;
  readonly name: string;
  readonly generation: number;
  readonly csrf: string;
  lastSeen: number;
}

const hash = (id: string): string => createHash('sha256').update(id).digest('hex');

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly accounts: AuthStore,
    readonly idleMs: number,
    private readonly max = 10_000,
  ) {}

  /** A new session for an account that just logged in: the cookie value and the CSRF token. */
  create(a: Account, now = Date.now()): { id: string; csrf: string } {
    this.sweep(now);
    if (this.sessions.size >= this.max) this.sessions.delete(this.sessions.keys().next().value!);
    const id = randomBytes(32).toString('base64url');
    const csrf = randomBytes(32).toString('base64url');
    this.sessions.set(hash(id), { accountId: a.id, name: a.name, generation: a.generation, csrf, lastSeen: now });
    return { id, csrf };
  }

  /** The live session and its current account, touching it; undefined when unknown, idle too long, or the account changed. */
  get(id: string, now = Date.now()): { session: Session; account: Account } | undefined {
    const key = hash(id);
    const s = this.sessions.get(key);
    if (!s) return undefined;
    const account = this.accounts.get(s.name);
    if (now - s.lastSeen > this.idleMs || !account || account.id !== s.accountId || account.generation !== s.generation) {
      this.sessions.delete(key);
      return undefined;
    }
    s.lastSeen = now;
    return { session: s, account };
  }

  delete(id: string): void {
    this.sessions.delete(hash(id));
  }

  private sweep(now: number): void {
    for (const [k, s] of this.sessions) if (now - s.lastSeen > this.idleMs) this.sessions.delete(k);
  }
}

/** Constant-time comparison of a sent CSRF token with the session's. */
export function csrfMatches(sent: string | undefined, expected: string): boolean {
  if (sent === undefined) return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** What an account's grants allow for `need`, and its principal. */
export function accountAllows(a: Account, need: AccessNeed): boolean {
  if ('ping' in need) return true;
  if ('admin' in need) return a.admin;
  if ('catalog' in need) return true;
  const allowed = allowedActions(a, need.repo);
  return need.actions.every((x) => allowed.has(x));
}

export function accountPrincipal(a: Account): Principal {
  return { name: a.name, canRead: (repo) => allowedActions(a, repo).has('pull'), admin: a.admin };
}
