import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Paces young-generation garbage collection to the bytes a process streams.
 *
 * Every socket read hands Node a fresh 64 KiB buffer whose memory lives
 * outside the V8 heap. V8 only reacts once about 64 MiB of such memory has
 * piled up, and by then many buffers have survived long enough to be
 * promoted, so it falls back to concurrent mark-compacts: on a 1 GiB upload
 * into `airlock serve`, 36 of them, about 0.6 s of CPU on the GC helper
 * threads, and 60 MB of dead buffers on top of the server's RSS. A
 * scavenge every few MiB frees them while they are still young: it costs
 * well under a millisecond with the server's small young generation, and
 * it brought the same upload from 2.2 s to 1.5 s, the server's CPU from 2.6
 * to 1.6 s, and its peak RSS from 135 to 96 MB (docs/benchmarks.md).
 *
 * Contract:
 * - `streamed(n)` is called with the size of every chunk a long stream
 *   receives; after every `paceBytes` (counted across the whole process) it
 *   runs one synchronous minor GC;
 * - it is a no-op where no gc function can be had (then V8's own
 *   heuristics run as usual), and never throws.
 */
export const PACE_BYTES = 4 << 20;

type GcFn = (opts?: { type?: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;

let gcFn: GcFn | null | undefined;
let sinceLast = 0;

function obtainGc(): GcFn | null {
  const exposed = (globalThis as { gc?: GcFn }).gc;
  if (typeof exposed === 'function') return exposed;
  try {
    // The flag takes effect for contexts created after it: a fresh one has `gc`.
    setFlagsFromString('--expose-gc');
    const fn = runInNewContext('gc') as unknown;
    return typeof fn === 'function' ? (fn as GcFn) : null;
  } catch {
    return null;
  }
}

export function streamed(bytes: number, paceBytes = PACE_BYTES): void {
  sinceLast += bytes;
  if (sinceLast < paceBytes) return;
  sinceLast = 0;
  gcFn ??= obtainGc();
  if (gcFn === null) return;
  try {
    gcFn({ type: 'minor' });
  } catch {
    gcFn = null;
  }
}
