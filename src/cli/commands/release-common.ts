/** Flags and plumbing shared by the `airlock release …` commands. */
import { Command } from 'commander';
import { connectionsFor } from '../../copy/copy-context.js';
import { RegistryHub, type RegistryHubOptions } from '../../transports/registry/registry-hub.js';
import { InvalidReferenceError } from '../../reference/image-name.js';
import { parseImageReference, type ImageReference } from '../../transports/all.js';
import { CliError } from '../cli-error.js';
import { hubOptions, positiveInt, withConnectionFlags, type ConnectionFlags, type ConnectionFlagSet } from './registry-flags.js';

export { positiveInt } from './registry-flags.js';

export interface RegistryFlags extends ConnectionFlags {
  maxPerRegistry: number;
}

/**
 * -a, --insecure (with `sides`: --src-insecure, --dest-insecure,
 * --src-tls-verify, --dest-tls-verify), --certificate-authority,
 * --request-timeout, --max-per-registry.
 */
export function withRegistryFlags(cmd: Command, set: ConnectionFlagSet = {}): Command {
  return withConnectionFlags(cmd, set).option('--max-per-registry <n>', 'concurrent blob transfers per registry; look-ups (manifests, HEADs, mounts, blobs up to 1 MiB) get 8 times as many', positiveInt('--max-per-registry'), 6);
}

export async function registryHub(f: RegistryFlags, set: ConnectionFlagSet = {}, extra: Partial<RegistryHubOptions> = {}): Promise<RegistryHub> {
  return new RegistryHub({ ...(await hubOptions(f, set)), connections: connectionsFor(f.maxPerRegistry), ...extra });
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
