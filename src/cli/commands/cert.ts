/**
 * `airlock cert renew|show` — the generated TLS material in <dataDir>/tls.
 * `renew` re-issues the server certificate from the same CA (clients keep
 * trusting it) and makes a running `airlock serve` load it (SIGHUP).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { summarize } from '../../tls/ca.js';
import { ensureManagedTls, tlsPaths } from '../../tls/managed-tls.js';
import { CliError } from '../cli-error.js';
import { runningServer } from '../pid-file.js';
import { collect, dataDirOption } from './user.js';

export function certCommand(): Command {
  const cmd = new Command('cert').description("Manage the registry's generated CA and server certificate");
  cmd.addCommand(
    new Command('renew')
      .description('Re-issue the server certificate from the existing CA (names kept; --san adds more)')
      .addOption(dataDirOption())
      .option('--san <name>', 'extra DNS name or IP address (repeatable)', collect)
      .action(async (f: { dataDir: string; san?: string[] }) => {
        const dataDir = resolve(f.dataDir);
        const p = tlsPaths(dataDir);
        if (!existsSync(p.caCert) || !existsSync(p.caKey)) {
          throw new CliError(`no generated CA in ${p.dir}; \`airlock serve\` creates one on first start (not with --tls-cert or --insecure-http)`);
        }
        let t;
        try {
          t = await ensureManagedTls(dataDir, { sans: f.san ?? [], renew: true });
        } catch (e) {
          throw new CliError((e as Error).message);
        }
        process.stdout.write(`server certificate re-issued: ${t.paths.serverCert}\n  names: ${t.names.join(', ')}\n  valid until: ${t.notAfter.toISOString()}\n  CA unchanged: ${t.paths.caCert}\n`);
        const pid = runningServer(dataDir);
        if (pid !== undefined) {
          process.kill(pid, 'SIGHUP');
          process.stdout.write(`asked airlock serve (pid ${pid}) to load it (SIGHUP)\n`);
        }
      }),
  );
  cmd.addCommand(
    new Command('show')
      .description('Show the CA and server certificate: names, validity, fingerprints')
      .addOption(dataDirOption())
      .action(async (f: { dataDir: string }) => {
        const p = tlsPaths(resolve(f.dataDir));
        if (!existsSync(p.caCert)) throw new CliError(`no generated CA in ${p.dir}`);
        const ca = await summarize(readFileSync(p.caCert, 'utf8'));
        process.stdout.write(`CA ${p.caCert}\n  subject: ${ca.subject}\n  valid until: ${ca.notAfter.toISOString()}\n  sha256: ${ca.fingerprintSha256}\n`);
        if (existsSync(p.serverCert)) {
          const s = await summarize(readFileSync(p.serverCert, 'utf8'));
          process.stdout.write(`server ${p.serverCert}\n  names: ${[...s.dnsNames, ...s.ipAddresses].join(', ')}\n  valid until: ${s.notAfter.toISOString()}\n  sha256: ${s.fingerprintSha256}\n`);
        }
      }),
  );
  return cmd;
}
