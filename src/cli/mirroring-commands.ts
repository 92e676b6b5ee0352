/**
 * The commands that need no native module: everything that mirrors, inspects
 * or extracts images and the credentials they use. The single-file CLI
 * (scripts/bundle.mjs, src/cli/main-single.ts) carries exactly these.
 */
import type { CommandTable } from './run-cli.js';

export const MIRRORING_COMMANDS: CommandTable = {
  image: async () => (await import('./commands/image-command.js')).imageCommand(),
  release: async () => (await import('./commands/release-command.js')).releaseCommand(),
  catalog: async () => (await import('./commands/catalog-command.js')).catalogCommand(),
  mirror: async () => (await import('./commands/mirror.js')).mirrorCommand(),
  login: async () => (await import('./commands/login.js')).loginCommand(),
  logout: async () => (await import('./commands/logout.js')).logoutCommand(),
  archive: async () => (await import('./commands/archive-command.js')).archiveCommand(),
  cache: async () => (await import('./commands/cache-command.js')).cacheCommand(),
  inventory: async () => (await import('./commands/inventory-command.js')).inventoryCommand(),
  'pull-secret': async () => (await import('./commands/pull-secret.js')).pullSecretCommand(),
  helm: async () => (await import('./commands/helm-mirror.js')).helmCommand(),
  samples: async () => (await import('./commands/samples-mirror.js')).samplesCommand(),
  verify: async () => (await import('./commands/verify.js')).verifyCommand(),
  graph: async () => (await import('./commands/graph-mirror.js')).graphCommand(),
};

/** Commands that open SQLite (better-sqlite3) and so need the full bundle. */
export const SERVER_COMMAND_NAMES = ['serve', 'gc', 'user', 'robot', 'cert'] as const;
