#!/usr/bin/env node
/**
 * Entry of the single-file CLI (dist-bundle/airlock-cli.mjs): the mirroring
 * commands only, with no native module. The server commands are listed but
 * answer with one line naming the full bundle.
 */
import { Command } from 'commander';
import { CliError } from './cli-error.js';
import { fullBundleName } from './full-bundle.js';
import { MIRRORING_COMMANDS, SERVER_COMMAND_NAMES } from './mirroring-commands.js';
import { runCli, type CommandTable } from './run-cli.js';

function needsFullBundle(name: string): () => Promise<Command> {
  return async () =>
    new Command(name)
      .description(`(needs the full bundle ${fullBundleName()})`)
      .helpOption(false)
      .allowUnknownOption()
      .allowExcessArguments()
      .action(() => {
        throw new CliError(`\`airlock ${name}\` needs the full bundle ${fullBundleName()} (the single-file CLI has no SQLite module)`);
      });
}

const COMMANDS: CommandTable = { ...MIRRORING_COMMANDS };
for (const name of SERVER_COMMAND_NAMES) COMMANDS[name] = needsFullBundle(name);

await runCli(COMMANDS);
