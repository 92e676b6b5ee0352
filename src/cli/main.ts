#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/registry-config.js';
import { certCommand } from './commands/cert.js';
import { gcCommand } from './commands/gc.js';
import { imageCommand } from './commands/image-command.js';
import { robotCommand } from './commands/robot.js';
import { serveCommand } from './commands/serve.js';
import { userCommand } from './commands/user.js';
import { CliError } from './cli-error.js';

const program = new Command()
  .name('airlock')
  .description('Mirror registry and mirroring CLI for disconnected OpenShift and Kubernetes installs')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)');

program.addCommand(serveCommand());
program.addCommand(gcCommand());
program.addCommand(imageCommand());
program.addCommand(userCommand());
program.addCommand(robotCommand());
program.addCommand(certCommand());

try {
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
