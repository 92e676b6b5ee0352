/**
 * How the property tests under test/fuzz run: a fixed seed (so CI runs are
 * deterministic), a number of runs and a wall-time bound per property. For
 * longer local runs:
 *
 *   AIRLOCK_FUZZ_SEED=123       another seed (a failure prints the one to replay)
 *   AIRLOCK_FUZZ_RUNS=20000     runs per property (lifts the time bound unless
 *                               AIRLOCK_FUZZ_TIME_MS is set too)
 *   AIRLOCK_FUZZ_TIME_MS=60000  wall-time bound per property
 *
 * The time bound only stops generating new inputs (fast-check's
 * interruptAfterTimeLimit); it never decides pass or fail.
 */
import fc from 'fast-check';

function envInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be an integer, got "${raw}"`);
  return n;
}

export const FUZZ_SEED = envInt('AIRLOCK_FUZZ_SEED') ?? 20250911;
const RUNS = envInt('AIRLOCK_FUZZ_RUNS');
const TIME_MS = envInt('AIRLOCK_FUZZ_TIME_MS');

export interface Budget {
  /** Runs in CI (AIRLOCK_FUZZ_RUNS overrides). */
  readonly runs: number;
  /** Wall-time bound in CI, milliseconds (AIRLOCK_FUZZ_TIME_MS overrides). */
  readonly ms: number;
}

/** Runs `property` under the budget; a failure names the seed and path that reproduce it. */
export async function checkProperty<T>(name: string, property: fc.IProperty<T> | fc.IAsyncProperty<T>, budget: Budget): Promise<void> {
  const numRuns = RUNS ?? budget.runs;
  const ms = TIME_MS ?? (RUNS === undefined ? budget.ms : undefined);
  const params: fc.Parameters<T> = { seed: FUZZ_SEED, numRuns, includeErrorInReport: true, ...(ms !== undefined ? { plugins: [fc.interruptAfterTimeLimit(ms)] } : {}) };
  try {
    await fc.assert(property as fc.IAsyncProperty<T>, params);
  } catch (e) {
    const err = e as Error;
    err.message = `fuzz property "${name}" failed; replay with AIRLOCK_FUZZ_SEED=${FUZZ_SEED} (runs ${numRuns})\n${err.message}`;
    throw err;
  }
}

/** Characters that matter to most of the grammars fuzzed here. */
export const SPECIAL_CHARS = [':', '/', '@', '.', '*', '-', '_', '=', '#', ' ', '\t', '\r', '\n', '\0', '[', ']', '%', '\\', '"', '?', 'A', 'Z', 'é', '\u2028', '\ufeff'];

/** A string with a few random edits (insert, delete, replace) drawn from `alphabet`. */
export function mutatedString(base: fc.Arbitrary<string>, alphabet: readonly string[] = SPECIAL_CHARS): fc.Arbitrary<string> {
  const edit = fc.record({ at: fc.nat(), kind: fc.constantFrom('insert', 'delete', 'replace', 'duplicate'), ch: fc.oneof(fc.constantFrom(...alphabet), fc.string({ maxLength: 3 })) });
  return fc.tuple(base, fc.array(edit, { minLength: 1, maxLength: 4 })).map(([s, edits]) => {
    let out = s;
    for (const e of edits) {
      const at = out.length === 0 ? 0 : e.at % (out.length + 1);
      if (e.kind === 'insert') out = out.slice(0, at) + e.ch + out.slice(at);
      else if (e.kind === 'delete') out = out.slice(0, at) + out.slice(at + 1);
      else if (e.kind === 'replace') out = out.slice(0, at) + e.ch + out.slice(at + 1);
      else out = out.slice(0, at) + out.slice(at, at + 8) + out.slice(at);
    }
    return out;
  });
}

/** Bytes with a few random edits (flip, insert, delete, truncate). */
export function mutatedBytes(base: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  const edit = fc.record({ at: fc.nat(), kind: fc.constantFrom('set', 'insert', 'delete', 'truncate'), byte: fc.integer({ min: 0, max: 255 }) });
  return fc.tuple(base, fc.array(edit, { minLength: 1, maxLength: 6 })).map(([b, edits]) => {
    let out = Buffer.from(b);
    for (const e of edits) {
      const at = out.length === 0 ? 0 : e.at % out.length;
      if (e.kind === 'set' && out.length > 0) out[at] = e.byte;
      else if (e.kind === 'insert') out = Buffer.concat([out.subarray(0, at), Buffer.from([e.byte]), out.subarray(at)]);
      else if (e.kind === 'delete') out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1)]);
      else if (e.kind === 'truncate') out = out.subarray(0, at);
    }
    return out;
  });
}
