import { AIRLOCK_VERSION } from '../version.js';

/** The archive that carries the native module (scripts/bundle.mjs builds it). */
export function fullBundleName(arch: string = process.arch): string {
  return `airlock-${AIRLOCK_VERSION}-linux-${arch}.tar.gz`;
}
