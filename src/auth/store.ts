/**
 * Accounts and their permissions. Secrets are stored only as bcrypt hashes.
 *
 * Users log in with a password; robots with a generated token and are named
 * `robot+NAME`. Both carry the same kind of grants:
 *   admin — everything, every repository, the whole catalog
 *   push  — read, write and delete on repositories matching these globs
 *   pull  — read on repositories matching these globs
 * Every change to an account's secret or grants bumps its `generation`;
 * tokens carry the generation they were issued under and die with it.
 */
export type AccountKind = 'user' | 'robot';

export interface Grants {
  readonly admin: boolean;
  readonly pull: readonly string[];
  readonly push: readonly string[];
}

export interface Account extends Grants {
  readonly name: string;
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
  /** Replaces the secret hash (bumps the generation). */
  setSecret(name: string, secretHash: string): Account;
  /** Replaces the grants (bumps the generation). */
  setGrants(name: string, grants: Grants): Account;
  remove(name: string): void;
  close(): void;
}

export class AccountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AccountError';
  }
}
