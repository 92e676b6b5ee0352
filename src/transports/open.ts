/**
 * Turns parsed references into sources and destinations, through the
 * transport that parsed them (all.ts lists them; nothing registers itself
 * at import time).
 */
import { transportOf } from './all.js';
import type { TransportEnv, TransportReference } from './transport.js';
import type { ImageDestination, ImageSource } from './types.js';

export type { TransportEnv } from './transport.js';
export { referenceWithin } from './all.js';
export { fileSourceRoot } from './file-store/file-transport.js';

export function openSource(env: TransportEnv, ref: TransportReference): Promise<ImageSource> {
  return transportOf(ref).openSource(env, ref);
}

export function openDestination(env: TransportEnv, ref: TransportReference): Promise<ImageDestination> {
  return transportOf(ref).openDestination(env, ref);
}
