/** Flags and plumbing shared by the `airlock release …` commands. */
import { Command } from 'commander';
import { AuthFileError, AuthStore } from '../../transports/registry/auth-file.js';
import { RegistryHub } from '../../transports/registry/registry-hub.js';
import { DEFAULT_RETRY } from '../../transports/registry/retry.js';
import { InvalidReferenceError } from '../../reference/image-name.js';
import { parseImageReference, type ImageReference } from '../../reference/transport-ref.js';
import { CliError } from '../cli-error.js';

export interface RegistryFlags {
  registryConfig?: string;
  insecure?: boolean;
  certificateAuthority?: string;
  maxPerRegistry: number;
}

export const positiveInt = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${name} takes a positive integer, got "${v}"`);
  return n;
};

/** -a, --insecure, --certificate-authority, --max-per-registry. */
export function withRegistryFlags(cmd: Command): Command {
  return cmd
    .option('-a, --registry-config <file>', 'credentials: pull secret, docker config.json or podman auth.json (default: the standard search)')
    .option('--insecure', 'allow plain http and unverified TLS for every registry')
    .option('--certificate-authority <file>', 'extra PEM CA bundle to trust (ignored with --insecure)')
    .option('--max-per-registry <n>', 'concurrent requests per registry', positiveInt('--max-per-registry'), 6);
}

export async function registryHub(f: RegistryFlags): Promise<RegistryHub> {
  let auth: AuthStore;
  try {
    auth = f.registryConfig !== undefined ? await AuthStore.load(f.registryConfig) : await AuthStore.loadDefault();
  } catch (e) {
    if (e instanceof AuthFileError) throw new CliError(e.message);
    throw e;
  }
  return new RegistryHub({ auth, insecure: () => f.insecure === true, caFile: f.certificateAuthority, retry: DEFAULT_RETRY, connections: f.maxPerRegistry + 2 });
}

export function parseRef(what: string, text: string): ImageReference {
  try {
    return parseImageReference(text);
  } catch (e) {
    if (e instanceof InvalidReferenceError) throw new CliError(`${what}: ${e.message}`);
    throw e;
  }
}

/** Turns known library errors into user errors (no stack). */
export function asCliError(e: unknown): unknown {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && ['ERR_RELEASE_PAYLOAD', 'ERR_RELEASE_NEW', 'ERR_IMAGE_NOT_FOUND', 'ERR_UNSAFE_TAR_ENTRY', 'ERR_BINARY_PATCH', 'ERR_RELEASE_MIRROR', 'ERR_RELEASE_EXTRACT'].includes(code)) {
    return new CliError((e as Error).message);
  }
  return e;
}
