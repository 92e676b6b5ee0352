import { Command, CommanderError } from 'commander';
// Only the error class: the config schema (zod, yaml) loads with the commands that need it.
import { ConfigError } from '../config/config-error.js';
import { AIRLOCK_VERSION } from '../version.js';
import { CliError } from './cli-error.js';
import { failureLine } from './failure-line.js';

/** A mistyped option or subcommand gets "(Did you mean …?)" at every level (addCommand copies no settings). */
function suggestEverywhere(cmd: Command): void {
  cmd.showSuggestionAfterError(true);
  for (const sub of cmd.commands) suggestEverywhere(sub);
}

/** Each command's module, imported only when the command (or `--help`) is run. */
export type CommandTable = Record<string, () => Promise<Command>>;

/**
 * Parses argv against the table: `airlock image mirror` loads only the image
 * commands; `airlock --help` (or an unknown command) loads them all so the
 * help lists every one. Known errors print one line; the exit code is 2.
 * Failures of the network, TLS or a registry print one line too (exit 1).
 */
export async function runCli(commands: CommandTable, argv: readonly string[] = process.argv): Promise<void> {
  const program = new Command()
    .name('airlock')
    .description('Mirror registry and mirroring CLI for disconnected OpenShift and Kubernetes installs')
    .version(AIRLOCK_VERSION)
    .showHelpAfterError('(run with --help for usage)');
  try {
    const first = argv[2];
    const names = first !== undefined && Object.hasOwn(commands, first) ? [first] : Object.keys(commands);
    for (const name of names) program.addCommand(await commands[name]!());
    suggestEverywhere(program);
    await program.parseAsync([...argv]);
  } catch (e) {
    if (e instanceof CommanderError) process.exit(e.exitCode);
    if (e instanceof ConfigError || e instanceof CliError) {
      process.stderr.write(`error: ${e.message}\n`);
      process.exit(2);
    }
    const line = failureLine(e);
    process.stderr.write(`error: ${line ?? (e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  }
}
