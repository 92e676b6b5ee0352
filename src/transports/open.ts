/**
 * Turns parsed references into sources and destinations (the composition
 * point for transports; nothing registers itself at import time).
 */
import type { ImageReference } from '../reference/transport-ref.js';
import { FileDestination, FileSource } from './file-store/file-image.js';
import { OciLayout } from './oci-layout/layout.js';
import { OciLayoutDestination, OciLayoutSource } from './oci-layout/layout-image.js';
import type { RegistryHub } from './registry/registry-hub.js';
import type { ImageDestination, ImageSource } from './types.js';

export interface TransportEnv {
  readonly registries: RegistryHub;
  /** Root of the file:// store for writes, and for reads without fromDir (oc's --dir; default: cwd). */
  readonly dir?: string;
  /** Root of the file:// store for reads (oc's --from-dir). */
  readonly fromDir?: string;
}

/** The tag/ref name or digest the reference selects inside its repository, if any. */
export function referenceWithin(ref: ImageReference): string | undefined {
  switch (ref.transport) {
    case 'docker':
    case 'file':
      return ref.name.digest ?? ref.name.tag;
    case 'oci':
      return ref.digest ?? ref.refName;
  }
}

/** The disk store `file://` sources are read from: --from-dir, else --dir, else the current directory. */
export function fileSourceRoot(env: TransportEnv): string {
  return env.fromDir ?? env.dir ?? process.cwd();
}

export async function openSource(env: TransportEnv, ref: ImageReference): Promise<ImageSource> {
  switch (ref.transport) {
    case 'docker':
      return env.registries.source(ref.name);
    case 'oci':
      return new OciLayoutSource(await OciLayout.open(ref.path, { create: false }));
    case 'file':
      return new FileSource(fileSourceRoot(env), ref.name.repository);
  }
}

export async function openDestination(env: TransportEnv, ref: ImageReference): Promise<ImageDestination> {
  switch (ref.transport) {
    case 'docker':
      return env.registries.destination(ref.name);
    case 'oci':
      return new OciLayoutDestination(await OciLayout.open(ref.path, { create: true }));
    case 'file':
      return new FileDestination(env.dir ?? process.cwd(), ref.name.repository);
  }
}
