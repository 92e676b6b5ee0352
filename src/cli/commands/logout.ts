/**
 * `airlock logout REGISTRY | --all` — removes stored credentials from the
 * auth file `airlock login` writes (atomic rewrite, 0600; other entries keep
 * their bytes). Not being logged in is an error (exit 1), as with podman.
 */
import { Command } from 'commander';
import { defaultAuthFile, otherAuthFiles } from '../../credentials/default-auth-file.js';
import { LoginFailedError } from '../../credentials/errors.js';
import { logout, storedLogin } from '../../credentials/login.js';
import { CliError } from '../cli-error.js';
import { runCredentials } from './credentials-common.js';

interface LogoutFlags {
  all?: boolean;
  authfile?: string;
}

async function run(registry: string | undefined, f: LogoutFlags): Promise<void> {
  if (registry !== undefined && f.all) throw new CliError('give a registry or --all, not both');
  if (registry === undefined && !f.all) throw new CliError('give the registry to log out of, or --all');
  const authFile = f.authfile ?? defaultAuthFile();
  const r = await logout(f.all ? 'all' : registry!, authFile);
  if (f.all) {
    process.stdout.write('Removed login credentials for all registries\n');
    return;
  }
  if (r.removed > 0) {
    process.stdout.write(`Removed login credentials for ${r.key}\n`);
    return;
  }
  const elsewhere = storedLogin(registry!, otherAuthFiles().filter((p) => p !== authFile));
  const hint = elsewhere ? `; credentials for it are in ${elsewhere.file} (airlock logout --authfile ${elsewhere.file} ${r.key})` : '';
  throw new LoginFailedError(`not logged into ${r.key} (no entry in ${authFile})${hint}`);
}

export function logoutCommand(): Command {
  return new Command('logout')
    .description('Remove stored registry credentials from an auth file')
    .argument('[registry]', 'host[:port][/namespace] as given to login')
    .option('-A, --all', 'remove the credentials of every registry')
    .option('-a, --authfile <file>', 'auth file (default: the one `airlock login` writes)')
    .action((registry: string | undefined, f: LogoutFlags) => runCredentials(() => run(registry, f)));
}
