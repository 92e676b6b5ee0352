#!/usr/bin/env node
import { MIRRORING_COMMANDS } from './mirroring-commands.js';
import { runCli, type CommandTable } from './run-cli.js';

/**
 * Commands are imported lazily: `airlock image mirror` does not load the
 * registry server, SQLite or the TLS code.
 */
const COMMANDS: CommandTable = {
  serve: async () => (await import('./commands/serve.js')).serveCommand(),
  gc: async () => (await import('./commands/gc.js')).gcCommand(),
  migrate: async () => (await import('./commands/migrate.js')).migrateCommand(),
  image: MIRRORING_COMMANDS.image!,
  user: async () => (await import('./commands/user.js')).userCommand(),
  robot: async () => (await import('./commands/robot.js')).robotCommand(),
  cert: async () => (await import('./commands/cert.js')).certCommand(),
  release: MIRRORING_COMMANDS.release!,
  catalog: MIRRORING_COMMANDS.catalog!,
  mirror: MIRRORING_COMMANDS.mirror!,
  archive: MIRRORING_COMMANDS.archive!,
  inventory: MIRRORING_COMMANDS.inventory!,
  cache: MIRRORING_COMMANDS.cache!,
  login: MIRRORING_COMMANDS.login!,
  logout: MIRRORING_COMMANDS.logout!,
  'pull-secret': MIRRORING_COMMANDS['pull-secret']!,
  helm: MIRRORING_COMMANDS.helm!,
  samples: MIRRORING_COMMANDS.samples!,
  verify: MIRRORING_COMMANDS.verify!,
  graph: MIRRORING_COMMANDS.graph!,
};

await runCli(COMMANDS);
