#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
// Only the error class: the config schema (zod, yaml) loads with the commands that need it.
import { ConfigError } from '../config/config-error.js';
import { CliError } from './cli-error.js';

/**
 * Commands are imported lazily: `airlock image mirror` does not load the
 * registry server, SQLite or the TLS code. `airlock --help` (or an unknown
 * command) loads them all so the help lists every one.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./commands/serve.js')).serveCommand(),
  gc: async () => (await import('./commands/gc.js')).gcCommand(),
  image: async () => (await import('./commands/image-command.js')).imageCommand(),
  user: async () => (await import('./commands/user.js')).userCommand(),
  robot: async () => (await import('./commands/robot.js')).robotCommand(),
  cert: async () => (await import('./commands/cert.js')).certCommand(),
  release: async () => (await import('./commands/release-command.js')).releaseCommand(),
  catalog: async () => (await import('./commands/catalog-command.js')).catalogCommand(),
  login: async () => (await import('./commands/login.js')).loginCommand(),
  logout: async () => (await import('./commands/logout.js')).logoutCommand(),
  'pull-secret': async () => (await import('./commands/pull-secret.js')).pullSecretCommand(),
};

const program = new Command()
  .name('airlock')
  .description('Mirror registry and mirroring CLI for disconnected OpenShift and Kubernetes installs')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)');

try {
  const first = process.argv[2];
  const names = first !== undefined && first in COMMANDS ? [first] : Object.keys(COMMANDS);
  for (const name of names) program.addCommand(await COMMANDS[name]!());
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  if (e instanceof ConfigError || e instanceof CliError) {
    process.stderr.write(`error: ${e.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`error: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
}
