/** What `login`, `logout` and `pull-secret` share: error mapping and TLS flags. */
import { Option, type Command } from 'commander';
import { CredentialsError, LoginFailedError } from '../../credentials/errors.js';
import { AuthFileError } from '../../transports/registry/auth-file.js';
import { CliError } from '../cli-error.js';

/**
 * Runs a credentials action: bad input (CredentialsError, AuthFileError)
 * becomes a usage error (exit 2); a refused or failed login prints
 * `error: …` and exits 1. Messages never hold secrets.
 */
export async function runCredentials(fn: () => Promise<void> | void): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof CredentialsError || e instanceof AuthFileError) throw new CliError(e.message);
    if (e instanceof LoginFailedError) {
      process.stderr.write(`error: ${e.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw e;
  }
}

/** podman's `--tls-verify[=true|false]`. */
export function parseTlsVerify(v: string | undefined): boolean {
  if (v === undefined || v === 'true') return true;
  if (v === 'false') return false;
  throw new CliError(`--tls-verify takes true or false (write --tls-verify=false), not "${v.slice(0, 40)}"`);
}

export interface TlsFlags {
  tlsVerify?: string | boolean;
  insecure?: boolean;
  certificateAuthority?: string;
  certDir?: string;
}

export function addTlsOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--tls-verify [bool]', 'verify TLS and require https (--tls-verify=false allows plain http and unverified TLS)'))
    .option('--insecure', 'same as --tls-verify=false')
    .option('--certificate-authority <file>', 'extra PEM CA bundle to trust')
    .option('--cert-dir <dir>', 'directory whose *.crt files are CAs for this registry (default: containers certs.d: ~/.config/containers/certs.d/HOST:PORT, /etc/containers/certs.d/HOST:PORT, /etc/docker/certs.d/HOST:PORT)');
}

export function tlsFrom(f: TlsFlags): { insecure: boolean; caFile?: string; certDir?: string } {
  const verify = typeof f.tlsVerify === 'boolean' ? f.tlsVerify : parseTlsVerify(f.tlsVerify);
  return { insecure: f.insecure === true || !verify, caFile: f.certificateAuthority, certDir: f.certDir };
}
