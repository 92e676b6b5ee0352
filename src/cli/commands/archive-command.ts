/**
 * `airlock archive verify DIR [-o json]`: checks every byte of an archive set
 * (mirror_*.tar + mirror_index.json, written by m2d) against its checksum
 * manifests before the media is carried across. Exit 0 when intact, 1 when
 * anything is damaged (each problem names the file and member), 2 for bad input.
 */
import { stat } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { problemLine, verifyArchiveSet } from '../../transports/archive/archive-verify.js';
import { CliError } from '../cli-error.js';

interface VerifyFlags {
  output: 'text' | 'json';
}

async function verify(dir: string, f: VerifyFlags): Promise<void> {
  const st = await stat(dir).catch(() => undefined);
  if (st === undefined || !st.isDirectory()) throw new CliError(`${dir} is not a directory; give the directory holding mirror_*.tar and mirror_index.json`);
  const r = await verifyArchiveSet(dir);
  if (f.output === 'json') process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  else if (r.ok) process.stdout.write(`${r.dir}: ${r.archives} archive(s), ${r.members} members, ${r.bytes} bytes: all intact\n`);
  else {
    for (const p of r.problems) process.stderr.write(`error: ${problemLine(p)}\n`);
    process.stderr.write(`error: ${r.dir}: ${r.problems.length} problem(s); do not carry this set: write it again (m2d) or copy the damaged files again\n`);
  }
  if (!r.ok) process.exitCode = 1;
}

function verifyCommand(): Command {
  return new Command('verify')
    .description('Check every byte of an archive set (mirror_*.tar) against its checksum manifests')
    .argument('<dir>', 'directory holding mirror_*.tar and mirror_index.json')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', '\nExit status: 0 intact, 1 damaged (each problem names the file and member), 2 bad input.\n\nExample:\n  airlock archive verify /media/usb/mirror\n')
    .action((dir: string, f: VerifyFlags) => verify(dir, f));
}

export function archiveCommand(): Command {
  return new Command('archive').description('Work with archive sets (mirror_*.tar) written for disconnected mirrors').addCommand(verifyCommand());
}
