/**
 * `airlock login [REGISTRY]` — podman login's flags: checks the credentials
 * against the registry (GET /v2/, token from the realm), then stores them in
 * the auth file (default: $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json,
 * else see credentials/default-auth-file.ts). Wrong credentials leave the
 * file untouched. The password comes from an echo-less prompt, stdin, or
 * (with a warning) -p.
 */
import { Command } from 'commander';
import { defaultAuthFile, otherAuthFiles } from '../../credentials/default-auth-file.js';
import { LoginFailedError } from '../../credentials/errors.js';
import { login, storedLogin, verifyCredentials } from '../../credentials/login.js';
import { interactive, promptVisible, readPassword } from '../../credentials/prompt.js';
import { assertUsername } from '../../credentials/pull-secret.js';
import { parseRegistryKey } from '../../credentials/registry-key.js';
import { CliError } from '../cli-error.js';
import { addTlsOptions, runCredentials, tlsFrom, type TlsFlags } from './credentials-common.js';

interface LoginFlags extends TlsFlags {
  username?: string;
  password?: string;
  passwordStdin?: boolean;
  authfile?: string;
  getLogin?: boolean;
  verbose?: boolean;
}

/** True when the stored credentials still work (podman: "Already logged in"). */
async function existingLoginValid(registry: string, authFile: string, f: LoginFlags): Promise<boolean> {
  const stored = storedLogin(registry, [authFile]);
  if (stored === undefined) return false;
  process.stderr.write(`Authenticating with existing credentials for ${parseRegistryKey(registry, 'registry').key}...\n`);
  try {
    await verifyCredentials(parseRegistryKey(registry, 'registry'), stored.username, stored.password, tlsFrom(f));
    return true;
  } catch (e) {
    if (!(e instanceof LoginFailedError) || !e.refused) throw e;
    process.stderr.write('Existing credentials are invalid, please enter a valid user name and password\n');
    return false;
  }
}

async function run(registry: string | undefined, f: LoginFlags): Promise<void> {
  if (registry === undefined) throw new CliError('give the registry to log in to, e.g. airlock login mirror.example.com:5000');
  const key = parseRegistryKey(registry, 'registry').key;
  const authFile = f.authfile ?? defaultAuthFile();
  if (f.getLogin) {
    const files = f.authfile !== undefined ? [f.authfile] : [...new Set([authFile, ...otherAuthFiles()])];
    const stored = storedLogin(registry, files);
    if (stored === undefined) throw new LoginFailedError(`not logged into ${key} (looked in ${files.join(', ')})`);
    process.stdout.write(`${stored.username}\n`);
    return;
  }
  if (f.password !== undefined && f.passwordStdin) throw new CliError('--password and --password-stdin are mutually exclusive');
  if (f.passwordStdin && f.username === undefined) throw new CliError('--password-stdin needs --username (stdin holds the password)');
  if (f.password !== undefined) process.stderr.write('WARNING! Using --password via the CLI is insecure (other users can see it in the process list). Use --password-stdin.\n');
  if (f.username === undefined && f.password === undefined && !f.passwordStdin && (await existingLoginValid(registry, authFile, f))) {
    process.stdout.write(`Existing credentials are valid. Already logged in to ${key}\n`);
    return;
  }
  let username = f.username;
  if (username === undefined) {
    if (!interactive()) throw new CliError('give --username (stdin is not a terminal to ask on)');
    username = await promptVisible('Username: ');
  }
  assertUsername(username);
  const password = f.password ?? (await readPassword({ fromStdin: f.passwordStdin === true, prompt: 'Password: ' }));
  const r = await login({ registry, username, password, authFile, ...tlsFrom(f) });
  if (r.authNotRequired) process.stderr.write(`note: ${key} answers without credentials; they were stored without being checked\n`);
  if (f.verbose) process.stderr.write(`Used: ${r.file}\n`);
  process.stdout.write('Login Succeeded!\n');
}

export function loginCommand(): Command {
  return addTlsOptions(
    new Command('login')
      .description('Log in to a registry: check the credentials against it, then store them in an auth file (0600)')
      .argument('[registry]', 'host[:port], or host[:port]/namespace for credentials that apply to that namespace only')
      .option('-u, --username <name>', 'user name (prompted on a terminal when missing)')
      .option('-p, --password <password>', 'password (visible to other users in the process list: prefer --password-stdin or the prompt)')
      .option('--password-stdin', 'read the password from stdin (all of it, without the final line break)')
      .option('-a, --authfile <file>', 'auth file to write (default: $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json, else /run/containers/0/auth.json for root or ~/.config/containers/auth.json)')
      .option('--get-login', 'print the user name stored for the registry, and do nothing else')
      .option('-v, --verbose', 'say which auth file was written'),
  ).action((registry: string | undefined, f: LoginFlags) => runCredentials(() => run(registry, f)));
}
