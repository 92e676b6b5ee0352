/**
 * Accounts and their permissions. Secrets are stored only as bcrypt hashes.
 *
 * Users log in with a password; robots with a generated token and are named
 * `robot+NAME`. Both carry the same kind of grants:
 *   admin — everything, every repository, the whole catalog
 *   push  — read, write and delete on repositories matching these globs
 *   pull  — read on repositories matching these globs
 * Every account has an `id`, random and never given to another account: a
 * removed account's name may be taken again, its id never is. Every change
 * to an account's secret or grants bumps its `generation`; tokens carry the
 * id and the generation they were issued under and die with either.
 */
export type AccountKind = 'user' | 'robot';

export interface Grants {
  readonly admin: boolean;
  readonly pull: readonly string[];
  readonly push: readonly string[];
}

export interface Account extends Grants {
  readonly name: string;
  /** Random identity (32 hex digits), never reused, not even for an account of the same name. */
  readonly id: string;
  readonly kind: AccountKind;
  readonly secretHash: string;
  readonly generation: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export const ROBOT_PREFIX = 'robot+';

const USER_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Valid user names: lowercase letters, digits, `.`, `_`, `-`, at most 64, starting with a letter or digit. */
export function isValidUserName(name: string): boolean {
  return USER_RE.test(name);
}

/** `robot+NAME` with NAME a valid user name. */
export function robotAccountName(name: string): string {
  return `${ROBOT_PREFIX}${name}`;
}

export function isValidAccountName(name: string): boolean {
  return name.startsWith(ROBOT_PREFIX) ? isValidUserName(name.slice(ROBOT_PREFIX.length)) : isValidUserName(name);
}

export interface NewAccount extends Grants {
  readonly name: string;
  readonly kind: AccountKind;
  readonly secretHash: string;
}

/**
 * Accounts. Reads are always current (the server reads on every login, so
 * accounts changed by the CLI or another replica take effect at once).
 * Methods reject with `AccountError` for a duplicate or missing account.
 */
export interface AccountStore {
  get(name: string): Promise<Account | undefined>;
  list(): Promise<Account[]>;
  count(): Promise<number>;
  add(a: NewAccount): Promise<Account>;
  /**
   * Adds `a` only when there is no account at all, atomically (replicas
   * starting together on one store: exactly one creates it); undefined when
   * there already was an account.
   */
  addFirst(a: NewAccount): Promise<Account | undefined>;
  /** Replaces the secret hash (bumps the generation; the account's refresh tokens are deleted). */
  setSecret(name: string, secretHash: string): Promise<Account>;
  /** Replaces the grants (bumps the generation). */
  setGrants(name: string, grants: Grants): Promise<Account>;
  /** Removes the account and every refresh token of its identity. */
  remove(name: string): Promise<void>;
}

export interface RefreshTokenStore {
  /** Records a refresh token when it is issued; false (nothing recorded) when its family was revoked meanwhile. */
  recordRefresh(r: RefreshRecord): Promise<boolean>;
  /**
   * Uses a refresh token, atomically (two concurrent uses of one token, on
   * one process or two replicas: one `ok`, one `replayed`). The first use
   * of a recorded, unexpired token is `ok` and marks it used; any later use
   * is `replayed` and deletes every token of its family and revokes the
   * family, so the token it was exchanged for dies too, even one being
   * issued at that moment (the thief and the owner cannot both go on).
   * Anything else is `unknown`.
   */
  useRefresh(jti: string, nowMs: number): Promise<RefreshUse>;
}

/**
 * Named secrets shared by every process on the store (the token signing
 * key). Values are secrets: implementations never log them.
 */
export interface SecretStore {
  /**
   * The stored value of `name`; when there is none, `candidate` is stored
   * and returned. Race-safe: concurrent first calls all get the one value
   * that won.
   */
  secret(name: string, candidate: string): Promise<string>;
}

/** One login-failure window: `limit` failures within `windowMs` from its first one. */
export interface FailureWindowSpec {
  readonly key: string;
  readonly limit: number;
  readonly windowMs: number;
}

export type CounterCheck = { readonly ok: true } | { readonly ok: false; readonly index: number; readonly endsAt: number };

/**
 * Login-failure counters, shared so that N replicas give a guesser the
 * limit once, not N times. A window starts at its first failure and ends
 * `windowMs` later; expired windows count 0.
 */
export interface LoginCounterStore {
  /** The first window at or over its limit (and when it ends), without counting anything. */
  checkFailures(windows: readonly FailureWindowSpec[], nowMs: number): Promise<CounterCheck>;
  /**
   * Atomically: refuses when a window is at or over its limit, else counts
   * one failure in every window (a check in flight counts as a failure
   * until `releaseFailure` takes it back).
   */
  reserveFailure(windows: readonly FailureWindowSpec[], nowMs: number): Promise<CounterCheck>;
  /** Takes back one reserved failure of every window (the login succeeded). */
  releaseFailure(keys: readonly string[], nowMs: number): Promise<void>;
}

/** A console session as stored: keyed by the SHA-256 of its cookie, never the cookie itself. */
export interface SessionRecord {
  readonly idHash: string;
  readonly accountId: string;
  readonly name: string;
  readonly generation: number;
  readonly csrf: string;
  readonly lastSeen: number;
}

/** Console sessions, server-side state shared by every replica. */
export interface SessionRecordStore {
  putSession(s: SessionRecord): Promise<void>;
  getSession(idHash: string): Promise<SessionRecord | undefined>;
  touchSession(idHash: string, lastSeen: number): Promise<void>;
  deleteSession(idHash: string): Promise<void>;
  /** Deletes sessions last seen before `before`; then, if more than `max` remain, the oldest. */
  sweepSessions(before: number, max: number): Promise<void>;
}

/** What `importAccount` did: written as new, replaced by a newer generation, already current, or refused (another identity holds the name or the id). */
export type AccountImport = 'added' | 'updated' | 'present' | 'conflict';

/**
 * Writes for `airlock migrate` (accounts moved from another store), each
 * atomic and idempotent, so a migration re-run after any interruption
 * converges. Hashes are written verbatim, never re-hashed.
 */
export interface AccountImportStore {
  /**
   * Writes `a` as it is (id, hash, grants, generation, times): `added` when
   * neither its name nor its id is taken; `updated` when the same identity
   * is there with a lower generation; `present` when it is there with the
   * same or a higher one (changed here since: kept); `conflict` (nothing
   * written) when another identity has the name or the id.
   */
  importAccount(a: Account): Promise<AccountImport>;
  /**
   * Records a refresh token issued by the other store; used when used there
   * or here. false (nothing written) when its family is revoked here or no
   * account here has its identity.
   */
  importRefresh(r: RefreshRecord, usedAt: number | undefined): Promise<boolean>;
  /** Revokes a family revoked by a replay in the other store (its tokens here are deleted). */
  importRevoked(family: string, revokedAt: number): Promise<void>;
}

/**
 * Auth state: every role above plus `close()`. Contract for every
 * implementation (SQLite per data directory, PostgreSQL shared by
 * replicas), proved by test/auth/conformance.ts: each method is atomic, and
 * all coordination is in the store, never in one process's memory.
 */
export interface AuthStore extends AccountStore, RefreshTokenStore, SecretStore, LoginCounterStore, SessionRecordStore, AccountImportStore {
  /** Where the state lives, safe to print (no password). */
  readonly where: string;
  close(): Promise<void>;
}

/** A refresh token as recorded: its id, the family (all tokens descended from one login), the account identity. */
export interface RefreshRecord {
  readonly jti: string;
  readonly family: string;
  readonly accountId: string;
  readonly expiresAt: number;
}

export type RefreshUse =
  | { readonly outcome: 'ok'; readonly record: RefreshRecord }
  | { readonly outcome: 'replayed'; readonly family: string; readonly accountId: string }
  | { readonly outcome: 'unknown' };

export class AccountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AccountError';
  }
}
