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
 * Account storage. Reads are cheap and always current (the server reads on
 * every login, so accounts changed by the CLI while it runs take effect at
 * once). Methods throw `AccountError` for a duplicate or missing account.
 */
export interface AuthStore {
  get(name: string): Account | undefined;
  list(): Account[];
  count(): number;
  add(a: NewAccount): Account;
  /** Replaces the secret hash (bumps the generation; the account's refresh tokens are deleted). */
  setSecret(name: string, secretHash: string): Account;
  /** Replaces the grants (bumps the generation). */
  setGrants(name: string, grants: Grants): Account;
  /** Removes the account and every refresh token of its identity. */
  remove(name: string): void;
  /** Records a refresh token when it is issued; false (nothing recorded) when its family was revoked meanwhile. */
  recordRefresh(r: RefreshRecord): boolean;
  /**
   * Uses a refresh token, atomically (two concurrent uses of one token: one
   * `ok`, one `replayed`). The first use of a recorded, unexpired token is
   * `ok` and marks it used; any later use is `replayed` and deletes every
   * token of its family and revokes the family, so the token it was
   * exchanged for dies too, even one being issued at that moment (the thief
   * and the owner cannot both go on). Anything else is `unknown`.
   */
  useRefresh(jti: string, nowMs: number): RefreshUse;
  close(): void;
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
