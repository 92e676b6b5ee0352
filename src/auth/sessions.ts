/**
 * Console sessions: a random 256-bit id (the cookie) and a CSRF token per
 * login, kept in the AuthStore (SessionRecordStore), so every replica on a
 * shared store knows every session and a login on one is good on all. A
 * session ends after `idleMs` without a request, on logout, and as soon as
 * its account is removed or changed (password, grants: the generation
 * moves), like tokens. The id is stored only as its SHA-256, so a dump of
 * the store holds no usable cookie. `lastSeen` is written at most once per
 * TOUCH_MS, not on every request.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AccessNeed, Principal } from '../server/access.js';
import { allowedActions } from './permissions.js';
import type { Account, AuthStore, SessionRecord } from './store.js';

export type Session = SessionRecord;

const hash = (id: string): string => createHash('sha256').update(id).digest('hex');

/** Writes of `lastSeen` are skipped when the stored one is younger than this. */
const TOUCH_MS = 5_000;

export class SessionStore {
  constructor(
    private readonly accounts: AuthStore,
    readonly idleMs: number,
    private readonly max = 10_000,
  ) {}

  /** A new session for an account that just logged in: the cookie value and the CSRF token. */
  async create(a: Account, now = Date.now()): Promise<{ id: string; csrf: string }> {
    await this.accounts.sweepSessions(now - this.idleMs, this.max - 1);
    const id = randomBytes(32).toString('base64url');
    const csrf = randomBytes(32).toString('base64url');
    await this.accounts.putSession({ idHash: hash(id), accountId: a.id, name: a.name, generation: a.generation, csrf, lastSeen: now });
    return { id, csrf };
  }

  /** The live session and its current account, touching it; undefined when unknown, idle too long, or the account changed. */
  async get(id: string, now = Date.now()): Promise<{ session: Session; account: Account } | undefined> {
    const key = hash(id);
    const s = await this.accounts.getSession(key);
    if (!s) return undefined;
    const account = await this.accounts.get(s.name);
    if (now - s.lastSeen > this.idleMs || !account || account.id !== s.accountId || account.generation !== s.generation) {
      await this.accounts.deleteSession(key);
      return undefined;
    }
    if (now - s.lastSeen >= TOUCH_MS) await this.accounts.touchSession(key, now);
    return { session: { ...s, lastSeen: now }, account };
  }

  async delete(id: string): Promise<void> {
    await this.accounts.deleteSession(hash(id));
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
