/**
 * How the property tests under test/fuzz run: a fixed seed (so CI runs are
 * deterministic), a number of runs and a wall-time bound per property. For
 * longer local runs:
 *
 *   AIRLOCK_FUZZ_SEED=123       another seed (a failure prints the one to replay)
 *   AIRLOCK_FUZZ_RUNS=20000     runs per property (lifts the time bound unless
 *                               AIRLOCK_FUZZ_TIME_MS is set too)
 *   AIRLOCK_FUZZ_TIME_MS=60000  wall-time bound per property
 *   AIRLOCK_FUZZ_RUN_TIMEOUT_MS=3000  fail (and shrink) any run slower than
 *                               this: finds the input behind a hang
 *
 * The time bound only stops generating new inputs (fast-check's
 * interruptAfterTimeLimit); it never decides pass or fail. A run still going
 * when it strikes is awaited (and its verdict kept): one that never settles
 * is a hang, reported as a failure.
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
const RUN_TIMEOUT_MS = envInt('AIRLOCK_FUZZ_RUN_TIMEOUT_MS');
/** How long a run still going after the time bound may take to settle before it counts as a hang. */
const HANG_MS = 120_000;

export interface Budget {
  /** Runs in CI (AIRLOCK_FUZZ_RUNS overrides). */
  readonly runs: number;
  /** Wall-time bound in CI, milliseconds (AIRLOCK_FUZZ_TIME_MS overrides). */
  readonly ms: number;
}

/** `property` with every run it starts recorded in `runs` (fast-check forgets a run the time bound cut off). */
function watched<T>(property: fc.IProperty<T> | fc.IAsyncProperty<T>, runs: Set<Promise<unknown>>): fc.IProperty<T> | fc.IAsyncProperty<T> {
  return new Proxy(property, {
    get(target, key) {
      const v = Reflect.get(target, key, target) as unknown;
      if (typeof v !== 'function') return v;
      if (key !== 'run') return v.bind(target);
      return (...args: unknown[]) => {
        const out = (v as (...a: unknown[]) => unknown).apply(target, args);
        if (out instanceof Promise) {
          runs.add(out);
          out.then(
            () => runs.delete(out),
            () => runs.delete(out),
          );
        }
        return out;
      };
    },
  });
}

/** Waits for the runs still going; throws for one that fails or never settles. */
async function settle(runs: Set<Promise<unknown>>): Promise<void> {
  if (runs.size === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<'hang'>((resolve) => (timer = setTimeout(() => resolve('hang'), HANG_MS)));
  try {
    const outcome = await Promise.race([Promise.all([...runs]), hang]);
    if (outcome === 'hang') throw new Error(`a run started before the time bound had not settled ${HANG_MS / 1000} s later: a hang (find its input with AIRLOCK_FUZZ_RUN_TIMEOUT_MS=3000)`);
    for (const r of outcome) {
      const failure = r as { error?: unknown } | null | undefined;
      if (failure && typeof failure === 'object' && 'error' in failure) throw new Error(`the run cut off by the time bound failed: ${String(failure.error)}`, { cause: failure.error });
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `property` under the budget; a failure names the seed and path that reproduce it. */
export async function checkProperty<T>(name: string, property: fc.IProperty<T> | fc.IAsyncProperty<T>, budget: Budget): Promise<void> {
  const numRuns = RUNS ?? budget.runs;
  const ms = TIME_MS ?? (RUNS === undefined ? budget.ms : undefined);
  const plugins = [...(ms !== undefined ? [fc.interruptAfterTimeLimit(ms)] : []), ...(RUN_TIMEOUT_MS !== undefined ? [fc.timeout(RUN_TIMEOUT_MS)] : [])];
  const params: fc.Parameters<T> = { seed: FUZZ_SEED, numRuns, includeErrorInReport: true, plugins };
  const runs = new Set<Promise<unknown>>();
  try {
    await fc.assert(watched(property, runs) as fc.IAsyncProperty<T>, params);
    await settle(runs);
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
