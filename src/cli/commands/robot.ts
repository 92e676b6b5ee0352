/**
 * `airlock robot add|rotate|rm|list` — token accounts for machines, named
 * `robot+NAME`. `add` and `rotate` print the token once, with a ready-made
 * `auths` entry for a pull secret. A pull-only robot is what a cluster
 * should get; mirroring uses a push robot or user — never put that one in a
 * cluster's pull secret (every node would get write access to the mirror).
 */
import { Command, Option } from 'commander';
import { resolve } from 'node:path';
import { createRobot, pullSecretEntry, removeRobot, robotGrants, robotName, rotateRobot } from '../../auth/robots.js';
import { AccountError, type Grants } from '../../auth/store.js';
import { hostName, readServeAddress } from '../serve-address.js';
import { CliError } from '../cli-error.js';
import { collect, dataDirOption, describeGrants, metadataOption, printAccounts, withStore } from './user.js';

/**
 * Registry for the printed auths entry: the address the data directory's
 * `airlock serve` recorded (its --public-url, else its listen address), else
 * this host's FQDN on port 5000.
 */
function defaultRegistry(dataDir: string): string {
  return readServeAddress(resolve(dataDir)) ?? `${hostName()}:5000`;
}

function printCredentials(user: string, token: string, registry: string, grants: Grants): void {
  process.stdout.write(
    [
      `robot ${user} (${describeGrants(grants)})`,
      `  username: ${user}`,
      `  token:    ${token}`,
      '  The token is shown only now. Pull-secret entry (merge into "auths" of the pull secret):',
      JSON.stringify(pullSecretEntry(user, token, registry)),
      '',
    ].join('\n'),
  );
}

/** AccountError (a refusal of auth/robots.ts) as a CLI usage error. */
function cliName(name: string): string {
  try {
    return robotName(name);
  } catch (e) {
    if (e instanceof AccountError) throw new CliError(e.message);
    throw e;
  }
}

const registryOption = (): Option => new Option('--registry <host:port>', 'registry host for the printed auths entry (default: the address airlock serve on the data directory is reached at: its --public-url or --listen)');

export function robotCommand(): Command {
  const cmd = new Command('robot')
    .description('Manage robot accounts (token logins for clusters and pipelines)')
    .addHelpText(
      'after',
      "\nExamples:\n  airlock robot add cluster --pull 'ocp4/**'\n" +
        "  airlock robot add ci --push 'team/**' --metadata postgres://airlock@db.example:5432/airlock   # on the replicas' shared store\n",
    );
  cmd.addCommand(
    new Command('add')
      .description("Create robot+NAME and print its token and a pull-secret entry, e.g. robot add cluster --pull 'ocp4/**'")
      .argument('<name>')
      .addOption(dataDirOption())
      .addOption(metadataOption())
      .option('--pull <glob>', 'read repositories matching the glob ("*" one level, "**" any depth; repeatable)', collect)
      .option('--push <glob>', 'also write and delete repositories matching the glob (repeatable)', collect)
      .addOption(registryOption())
      .action(async (name: string, f: { dataDir: string; pull?: string[]; push?: string[]; registry?: string }) => {
        const user = cliName(name);
        if (!f.pull?.length && !f.push?.length) throw new CliError('a robot needs --pull and/or --push globs');
        let grants: Grants;
        try {
          const g = robotGrants({ pull: f.pull ?? [], push: f.push ?? [] });
          for (const h of g.hints) process.stderr.write(`${h}\n`);
          grants = g.grants;
        } catch (e) {
          if (e instanceof AccountError) throw new CliError(e.message);
          throw e;
        }
        await withStore(f, async (s) => {
          if (await s.get(user)) throw new CliError(`robot ${user} already exists (use \`airlock robot rotate ${name}\` for a new token)`);
          const { token } = await createRobot(s, user, grants);
          printCredentials(user, token, f.registry ?? defaultRegistry(f.dataDir), grants);
        });
      }),
  );
  cmd.addCommand(
    new Command('rotate')
      .description('Give a robot a new token; the old token and its sessions stop working')
      .argument('<name>')
      .addOption(dataDirOption())
      .addOption(metadataOption())
      .addOption(registryOption())
      .action(async (name: string, f: { dataDir: string; registry?: string }) => {
        const user = cliName(name);
        await withStore(f, async (s) => {
          const { account, token } = await rotateRobot(s, user);
          printCredentials(user, token, f.registry ?? defaultRegistry(f.dataDir), account);
        });
      }),
  );
  cmd.addCommand(
    new Command('rm')
      .description('Remove a robot (its tokens stop working at once)')
      .argument('<name>')
      .addOption(dataDirOption())
      .addOption(metadataOption())
      .action(async (name: string, f: { dataDir: string }) => {
        const user = cliName(name);
        await withStore(f, async (s) => {
          await removeRobot(s, user);
          process.stdout.write(`robot ${user} removed\n`);
        });
      }),
  );
  cmd.addCommand(
    new Command('list')
      .description('List robots and their permissions')
      .addOption(dataDirOption())
      .addOption(metadataOption())
      .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
      .action(async (f: { dataDir: string; output: string }) => {
        await withStore(f, async (s) => printAccounts((await s.list()).filter((a) => a.kind === 'robot'), f.output));
      }),
  );
  return cmd;
}
