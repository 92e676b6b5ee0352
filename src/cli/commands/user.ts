/**
 * `airlock user add|passwd|set|rm|list|import` — accounts in <dataDir>/auth/auth.db.
 * Passwords come from stdin (first line) or an echo-less prompt, never from a
 * flag. Works while `airlock serve` runs: the server reads accounts per login.
 */
import { readCliInput } from '../read-input.js';
import { INPUT_LIMITS } from '../../util/input-file.js';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { parseHtpasswd } from '../../auth/htpasswd.js';
import { hashSecret, passwordProblem } from '../../auth/passwords.js';
import { globHint, isValidGlob } from '../../auth/permissions.js';
import { ADMIN, openAuthStore } from '../../auth/setup.js';
import { AccountError, isValidUserName, type Account, type AuthStore, type Grants } from '../../auth/store.js';
import { CredentialsError } from '../../credentials/errors.js';
import { promptHidden, readStdinLine } from '../../credentials/prompt.js';
import { CliError } from '../cli-error.js';

export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];
export const dataDirOption = (): Option =>
  new Option('--data-dir <dir>', 'the registry data directory [env AIRLOCK_DATA_DIR]').default(process.env.AIRLOCK_DATA_DIR ?? './airlock-data');

export const metadataOption = (): Option =>
  new Option('--metadata <url>', 'the PostgreSQL store airlock serve uses (accounts are shared there by every replica): postgres://USER@HOST:PORT/DB [env AIRLOCK_METADATA]').default(
    process.env.AIRLOCK_METADATA || undefined,
  );

/**
 * Opens the accounts `airlock serve` uses — the PostgreSQL store with
 * --metadata, else the data directory's — runs `fn`, closes; AccountError
 * becomes a CLI error.
 */
export async function withStore<T>(f: { dataDir: string; metadata?: string }, fn: (s: AuthStore) => Promise<T> | T): Promise<T> {
  const dir = resolve(f.dataDir);
  if (f.metadata === undefined && !existsSync(dir)) throw new CliError(`no registry data directory at ${dir}; start \`airlock serve\` once or pass --data-dir`);
  let store: AuthStore;
  try {
    store = await openAuthStore(dir, f.metadata);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  try {
    return await fn(store);
  } catch (e) {
    if (e instanceof AccountError) throw new CliError(e.message);
    throw e;
  } finally {
    await store.close();
  }
}

/** Validated grants from flags; prints a hint for one-level globs. */
export function grantsFrom(f: { admin?: boolean; push?: string[]; pull?: string[] }): Grants {
  for (const g of [...(f.push ?? []), ...(f.pull ?? [])]) {
    if (!isValidGlob(g)) throw new CliError(`invalid repository glob "${g}": use lowercase name characters, '/', '*' (one level) and '**' (any depth)`);
    const hint = globHint(g);
    if (hint) process.stderr.write(`${hint}\n`);
  }
  return { admin: !!f.admin, push: f.push ?? [], pull: f.pull ?? [] };
}

/** A hidden prompt; Ctrl-C/Ctrl-D become a usage error. */
async function promptPassword(prompt: string): Promise<string> {
  try {
    return await promptHidden(prompt);
  } catch (e) {
    if (e instanceof CredentialsError) throw new CliError(e.message);
    throw e;
  }
}

/** A new password: prompted twice on a terminal, else the first line of stdin. */
export async function readNewPassword(who: string): Promise<string> {
  let pw: string;
  if (process.stdin.isTTY) {
    pw = await promptPassword(`New password for ${who}: `);
    if ((await promptPassword('Repeat it: ')) !== pw) throw new CliError('the passwords differ');
  } else {
    pw = await readStdinLine();
  }
  const problem = passwordProblem(pw);
  if (problem) throw new CliError(problem);
  return pw;
}

export function describeGrants(a: Grants): string {
  if (a.admin) return 'admin';
  const parts = [...(a.push.length ? [`push ${a.push.join(',')}`] : []), ...(a.pull.length ? [`pull ${a.pull.join(',')}`] : [])];
  return parts.join('; ') || 'no permissions';
}

export function printAccounts(list: Account[], format: string): void {
  if (format === 'json') {
    const out = list.map((a) => ({ name: a.name, kind: a.kind, admin: a.admin, push: a.push, pull: a.pull, created: new Date(a.createdAt).toISOString() }));
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return;
  }
  for (const a of list) process.stdout.write(`${a.name.padEnd(24)} ${describeGrants(a)}\n`);
}

function assertUserName(name: string): void {
  if (!isValidUserName(name)) throw new CliError(`invalid user name "${name.slice(0, 64)}": lowercase letters, digits, '.', '_', '-' (at most 64)`);
}

async function assertNotLastAdmin(s: AuthStore, name: string): Promise<void> {
  const admins = (await s.list()).filter((a) => a.admin);
  if (admins.length === 1 && admins[0]!.name === name) throw new CliError(`${name} is the last admin account; make another admin first`);
}

interface GrantFlags {
  dataDir: string;
  admin?: boolean;
  push?: string[];
  pull?: string[];
}

export function userCommand(): Command {
  const cmd = new Command('user')
    .description('Manage user accounts (passwords from stdin or a prompt, never flags)')
    .addHelpText(
      'after',
      "\nExamples:\n  airlock user add alice --push 'team/**'        # prompts for the password\n" +
        "  airlock user list --metadata postgres://airlock@db.example:5432/airlock   # the accounts every replica shares\n",
    );
  const grantOpts = (c: Command): Command =>
    c
      .addOption(dataDirOption())
      .addOption(metadataOption())
      .option('--admin', 'may do everything, on every repository')
      .option('--push <glob>', 'read, write and delete repositories matching the glob ("*" one level, "**" any depth; repeatable)', collect)
      .option('--pull <glob>', 'read repositories matching the glob (repeatable)', collect);

  cmd.addCommand(
    grantOpts(new Command('add').description('Create a user; the password is read from stdin or prompted').argument('<name>')).action(async (name: string, f: GrantFlags) => {
      assertUserName(name);
      const grants = grantsFrom(f);
      await withStore(f, async (s) => {
        if (await s.get(name)) throw new CliError(`account ${name} already exists`);
        const hash = await hashSecret(await readNewPassword(name));
        await s.add({ name, kind: 'user', secretHash: hash, ...grants });
        process.stdout.write(`user ${name} created (${describeGrants(grants)})\n`);
      });
    }),
  );
  cmd.addCommand(
    grantOpts(new Command('set').description("Replace a user's permissions (its tokens stop working)").argument('<name>')).action(async (name: string, f: GrantFlags) => {
      const grants = grantsFrom(f);
      await withStore(f, async (s) => {
        if (!grants.admin) await assertNotLastAdmin(s, name);
        await s.setGrants(name, grants);
        process.stdout.write(`user ${name}: ${describeGrants(grants)}\n`);
      });
    }),
  );
  cmd.addCommand(
    new Command('passwd')
      .description("Set a user's password (stdin or prompt); its tokens stop working")
      .argument('<name>')
      .addOption(dataDirOption())
      .addOption(metadataOption())
      .action(async (name: string, f: { dataDir: string }) => {
        await withStore(f, async (s) => {
          const a = await s.get(name);
          if (!a || a.kind !== 'user') throw new CliError(`no user named ${name}`);
          await s.setSecret(name, await hashSecret(await readNewPassword(name)));
          process.stdout.write(`password of ${name} changed\n`);
        });
      }),
  );
  cmd.addCommand(
    new Command('rm')
      .description('Remove a user (its tokens stop working at once)')
      .argument('<name>')
      .addOption(dataDirOption())
      .addOption(metadataOption())
      .action(async (name: string, f: { dataDir: string }) => {
        await withStore(f, async (s) => {
          if ((await s.get(name))?.kind !== 'user') throw new CliError(`no user named ${name}`);
          await assertNotLastAdmin(s, name);
          await s.remove(name);
          process.stdout.write(`user ${name} removed\n`);
        });
      }),
  );
  cmd.addCommand(
    new Command('list')
      .description('List users and their permissions')
      .addOption(dataDirOption())
      .addOption(metadataOption())
      .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
      .action(async (f: { dataDir: string; output: string }) => {
        await withStore(f, async (s) => printAccounts((await s.list()).filter((a) => a.kind === 'user'), f.output));
      }),
  );
  cmd.addCommand(
    grantOpts(new Command('import').description('Import users from an htpasswd file (bcrypt entries, htpasswd -B) with the given permissions').argument('<file>')).action(
      async (file: string, f: GrantFlags) => {
        const grants = grantsFrom(f);
        const text = await readCliInput(file, 'htpasswd file', INPUT_LIMITS.list);
        const parsed = parseHtpasswd(text);
        for (const sk of parsed.skipped) process.stderr.write(`${file}:${sk.line}: skipped ${sk.name || '(no name)'}: ${sk.reason}\n`);
        await withStore(f, async (s) => {
          let added = 0;
          for (const e of parsed.entries) {
            if (e.name === ADMIN || (await s.get(e.name))) {
              process.stderr.write(`skipped ${e.name}: the account already exists\n`);
              continue;
            }
            await s.add({ name: e.name, kind: 'user', secretHash: e.hash, ...grants });
            added++;
          }
          process.stdout.write(`imported ${added} user(s) (${describeGrants(grants)})\n`);
        });
      },
    ),
  );
  return cmd;
}
