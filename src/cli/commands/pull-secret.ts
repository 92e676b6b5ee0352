/**
 * `airlock pull-secret add | rm | check` — the mirror registry's credentials
 * in an OpenShift pull secret (docs: "add the mirror registry's credentials
 * to the pull secret") without hand-editing JSON: merged atomically (0600),
 * other entries byte-for-byte as they were, secrets never printed.
 */
import { Command, Option } from 'commander';
import { readPassword } from '../../credentials/prompt.js';
import { addToPullSecret, checkPullSecret, removeFromPullSecret, type PullSecretChange } from '../../credentials/pull-secret.js';
import { runCredentials } from './credentials-common.js';

interface Output {
  output: 'text' | 'json';
}

const fileOption = (): Option => new Option('-f, --file <file>', 'the pull secret (JSON: {"auths": {...}})').makeOptionMandatory();
const outputOption = (): Option => new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text');

function report(c: PullSecretChange, f: Output): void {
  const where = { added: 'to', updated: 'in', created: 'in new file', removed: 'from' }[c.action];
  process.stderr.write(`${c.action} "${c.key}" ${where} ${c.file} (${c.keys.length} ${c.keys.length === 1 ? 'entry' : 'entries'})\n`);
  if (f.output === 'json') process.stdout.write(`${JSON.stringify({ file: c.file, key: c.key, action: c.action, keys: c.keys }, null, 2)}\n`);
}

function addCommand(): Command {
  return new Command('add')
    .description('Add or replace a registry entry: base64 "user:password" (the password from stdin or a prompt)')
    .addOption(fileOption())
    .requiredOption('--registry <key>', 'entry key, stored as given: host[:port] or host[:port]/namespace/')
    .requiredOption('-u, --username <name>', 'user name (a robot: robot+NAME)')
    .option('--password-stdin', 'read the password from stdin (all of it, without the final line break); without it: a prompt, or the first line of stdin')
    .option('--email <address>', 'email field of the entry (kept from the old entry when not given)')
    .addOption(outputOption())
    .action((f: Output & { file: string; registry: string; username: string; passwordStdin?: boolean; email?: string }) =>
      runCredentials(async () => {
        const password = await readPassword({ fromStdin: f.passwordStdin === true, prompt: `Password for ${f.username}: ` });
        report(await addToPullSecret({ file: f.file, registry: f.registry, username: f.username, password, email: f.email }), f);
      }),
    );
}

function rmCommand(): Command {
  return new Command('rm')
    .description('Remove a registry entry')
    .addOption(fileOption())
    .requiredOption('--registry <key>', 'entry key (host[:port][/namespace])')
    .addOption(outputOption())
    .action((f: Output & { file: string; registry: string }) => runCredentials(async () => report(await removeFromPullSecret(f.file, f.registry), f)));
}

function checkCommand(): Command {
  return new Command('check')
    .description('Validate a pull secret: list its keys and which have usable credentials (never the secrets); exit 1 when an entry is malformed')
    .addOption(fileOption())
    .addOption(outputOption())
    .action((f: Output & { file: string }) =>
      runCredentials(() => {
        const r = checkPullSecret(f.file);
        const bad = r.entries.filter((e) => e.problem !== undefined);
        if (f.output === 'json') {
          process.stdout.write(`${JSON.stringify({ file: r.file, valid: bad.length === 0 && r.entries.length > 0, entries: r.entries.map((e) => ({ ...e, usable: e.username !== undefined })) }, null, 2)}\n`);
        } else {
          const width = Math.min(60, Math.max(...r.entries.map((e) => e.key.length), 3));
          for (const e of r.entries) process.stdout.write(`${e.key.padEnd(width)}  ${e.problem ? 'MALFORMED' : e.username !== undefined ? `user ${e.username}` : 'no credentials'}\n`);
        }
        for (const e of bad) process.stderr.write(`error: ${e.problem}\n`);
        if (r.entries.length === 0) process.stderr.write(`error: ${r.file} has no entries in "auths"\n`);
        if (bad.length > 0 || r.entries.length === 0) process.exitCode = 1;
      }),
    );
}

export function pullSecretCommand(): Command {
  return new Command('pull-secret')
    .description('Add, remove or check registry credentials in a pull secret (Red Hat pull secret, docker config.json, podman auth.json)')
    .addCommand(addCommand())
    .addCommand(rmCommand())
    .addCommand(checkCommand());
}
