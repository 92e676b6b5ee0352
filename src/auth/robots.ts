/**
 * Robot accounts (`robot+NAME`, a generated 256-bit token): create, rotate,
 * remove. `airlock robot` and the JSON API (`/api/v1/robots`) both go
 * through these functions. The token is returned once and stored only as a
 * bcrypt hash. Refusals are AccountError with a one-line message.
 */
import { hashSecret, randomToken } from './passwords.js';
import { globHint, isValidGlob } from './permissions.js';
import { AccountError, isValidUserName, robotAccountName, ROBOT_PREFIX, type Account, type AuthStore, type Grants } from './store.js';

/** `NAME` or `robot+NAME` → `robot+NAME`; AccountError for an invalid name. */
export function robotName(name: string): string {
  const bare = name.startsWith(ROBOT_PREFIX) ? name.slice(ROBOT_PREFIX.length) : name;
  if (!isValidUserName(bare)) throw new AccountError(`invalid robot name "${name.slice(0, 64)}": lowercase letters, digits, '.', '_', '-' (at most 64)`);
  return robotAccountName(bare);
}

/** Validated grants for a robot (never admin); returns the hints for one-level globs. */
export function robotGrants(g: { pull?: readonly string[]; push?: readonly string[] }): { grants: Grants; hints: string[] } {
  const pull = [...(g.pull ?? [])];
  const push = [...(g.push ?? [])];
  if (pull.length === 0 && push.length === 0) throw new AccountError('a robot needs pull and/or push globs');
  const hints: string[] = [];
  for (const glob of [...push, ...pull]) {
    if (!isValidGlob(glob)) throw new AccountError(`invalid repository glob "${glob.slice(0, 100)}": use lowercase name characters, '/', '*' (one level) and '**' (any depth)`);
    const hint = globHint(glob);
    if (hint) hints.push(hint);
  }
  return { grants: { admin: false, pull, push }, hints };
}

export interface RobotSecret {
  readonly account: Account;
  /** Shown once; only its bcrypt hash is stored. */
  readonly token: string;
}

/** Creates robot+NAME; AccountError when it exists. */
export async function createRobot(store: AuthStore, name: string, grants: Grants): Promise<RobotSecret> {
  const user = robotName(name);
  if (await store.get(user)) throw new AccountError(`robot ${user} already exists`);
  const token = randomToken();
  const account = await store.add({ name: user, kind: 'robot', secretHash: await hashSecret(token), ...grants, admin: false });
  return { account, token };
}

/** A new token for robot+NAME; the old one and its tokens stop working. */
export async function rotateRobot(store: AuthStore, name: string): Promise<RobotSecret> {
  const user = robotName(name);
  const a = await store.get(user);
  if (!a || a.kind !== 'robot') throw new AccountError(`no robot named ${user}`);
  const token = randomToken();
  return { account: await store.setSecret(user, await hashSecret(token)), token };
}

export async function removeRobot(store: AuthStore, name: string): Promise<void> {
  const user = robotName(name);
  if ((await store.get(user))?.kind !== 'robot') throw new AccountError(`no robot named ${user}`);
  await store.remove(user);
}

/** The `auths` entry of a pull secret for these credentials. */
export function pullSecretEntry(username: string, token: string, registry: string): { auths: Record<string, { auth: string }> } {
  return { auths: { [registry]: { auth: Buffer.from(`${username}:${token}`).toString('base64') } } };
}
