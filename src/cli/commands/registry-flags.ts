/**
 * Flags every command that talks to registries shares: credentials, TLS
 * trust and insecure access (for both sides as oc's --insecure, or per side
 * as --src-insecure/--dest-insecure and skopeo's --src-tls-verify=false /
 * --dest-tls-verify=false), request timeout and retries; and the RegistryHub
 * they configure.
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { AuthFileError, AuthStore } from '../../transports/registry/auth-file.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, type RegistryHubOptions, type RegistryRole } from '../../transports/registry/registry-hub.js';
import { DEFAULT_RETRY, type RetryPolicy } from '../../transports/registry/retry.js';
import { CliError } from '../cli-error.js';

export interface ConnectionFlags {
  registryConfig?: string;
  insecure?: boolean;
  srcInsecure?: boolean;
  destInsecure?: boolean;
  srcTlsVerify?: boolean;
  destTlsVerify?: boolean;
  certificateAuthority?: string;
  requestTimeout?: number;
  retryTimes?: number;
  retryDelay?: number;
}

export const positiveInt = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${name} takes a positive integer, got "${v}"`);
  return n;
};

/** `250ms`, `2s`, `1m`, or plain milliseconds. */
export function parseDuration(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v.trim());
  if (!m) throw new CliError(`expected a duration like 500ms, 2s or 1m, got "${v}"`);
  const n = Number(m[1]);
  return Math.round(m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n);
}

const tlsVerify = (name: string) => (v: string): boolean => {
  const t = v.trim().toLowerCase();
  if (t === 'true' || t === '1') return true;
  if (t === 'false' || t === '0') return false;
  throw new CliError(`${name} takes true or false, got "${v}"`);
};

export interface ConnectionFlagSet {
  /** Add --src-insecure/--dest-insecure and --src-tls-verify/--dest-tls-verify (commands with a source and a destination). */
  readonly sides?: boolean;
  /** Add --retry-times and --retry-delay. */
  readonly retries?: boolean;
}

/** Adds the connection flags to `cmd`. */
export function withConnectionFlags(cmd: Command, set: ConnectionFlagSet = {}): Command {
  cmd
    .option('-a, --registry-config <file>', 'credentials: pull secret, docker config.json or podman auth.json (default: the standard search)')
    .option('--insecure', `allow plain http and unverified TLS for every registry${set.sides ? ' (source and destination)' : ''}`);
  if (set.sides) {
    cmd
      .option('--src-insecure', 'allow plain http and unverified TLS for source registries only')
      .option('--dest-insecure', 'allow plain http and unverified TLS for destination registries only')
      .option('--src-tls-verify <bool>', 'skopeo style: false = --src-insecure', tlsVerify('--src-tls-verify'))
      .option('--dest-tls-verify <bool>', 'skopeo style: false = --dest-insecure', tlsVerify('--dest-tls-verify'));
  }
  cmd
    .option('--certificate-authority <file>', 'extra PEM CA bundle to trust besides the system ones (not used for insecure registries)')
    .addOption(
      new Option('--request-timeout <duration>', 'longest silence from a registry (waiting for an answer, or between body bytes) before the request is abandoned and retried; a blob commit gets 1s more per 16 MiB')
        .argParser(parseDuration)
        .default(DEFAULT_REQUEST_TIMEOUT_MS, `${DEFAULT_REQUEST_TIMEOUT_MS / 1000}s`),
    );
  if (set.retries) {
    cmd
      .option('--retry-times <n>', 'retries of a failed request or blob transfer (429, 5xx, resets, timeouts; exponential backoff with jitter)', (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0) throw new CliError(`--retry-times takes a non-negative integer, got "${v}"`);
        return n;
      }, DEFAULT_RETRY.times)
      .addOption(new Option('--retry-delay <duration>', 'base delay of the exponential backoff (e.g. 250ms, 1s)').argParser(parseDuration).default(DEFAULT_RETRY.delayMs, `${DEFAULT_RETRY.delayMs}ms`));
  }
  return cmd;
}

/** Whether a role may use plain http / unverified TLS; contradictory flags are a usage error. */
export function insecureRoles(f: ConnectionFlags): Record<RegistryRole, boolean> {
  const side = (flag: boolean | undefined, verify: boolean | undefined, names: [string, string]): boolean => {
    if (verify === true && (flag === true || f.insecure === true)) {
      throw new CliError(`${names[1]}=true contradicts ${flag === true ? names[0] : '--insecure'}: give one of them`);
    }
    return f.insecure === true || flag === true || verify === false;
  };
  return {
    source: side(f.srcInsecure, f.srcTlsVerify, ['--src-insecure', '--src-tls-verify']),
    destination: side(f.destInsecure, f.destTlsVerify, ['--dest-insecure', '--dest-tls-verify']),
  };
}

export async function loadAuth(file: string | undefined): Promise<AuthStore> {
  try {
    return file !== undefined ? await AuthStore.load(file) : await AuthStore.loadDefault();
  } catch (e) {
    if (e instanceof AuthFileError) throw new CliError(e.message);
    throw e;
  }
}

/** RegistryHub options from the flags (auth loaded, insecure per role, timeouts, retries; warnings to stderr unless replaced). */
export async function hubOptions(f: ConnectionFlags, set: ConnectionFlagSet = {}): Promise<RegistryHubOptions & { retry: RetryPolicy }> {
  const roles = insecureRoles(f);
  if (f.certificateAuthority !== undefined) {
    try {
      await access(f.certificateAuthority, constants.R_OK);
    } catch (e) {
      throw new CliError(`cannot read --certificate-authority ${f.certificateAuthority}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  const retry: RetryPolicy = { ...DEFAULT_RETRY, times: f.retryTimes ?? DEFAULT_RETRY.times, delayMs: f.retryDelay ?? DEFAULT_RETRY.delayMs };
  return {
    auth: await loadAuth(f.registryConfig),
    insecure: (_registry, role) => roles[role],
    insecureHint: (role) => (set.sides ? `--insecure or ${role === 'source' ? '--src-insecure' : '--dest-insecure'}` : '--insecure'),
    caFile: f.certificateAuthority,
    retry,
    requestTimeoutMs: f.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT_MS,
    onWarning: (message) => process.stderr.write(`warning: ${message}\n`),
  };
}
