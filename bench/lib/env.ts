/** Benchmark options from the environment; a bad value is an error that names the variable. */

/** An integer option `name` (>= `min`), `dflt` when unset or empty. */
export function envInt(name: string, dflt: number, min: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got "${v}"`);
  return n;
}

/** One of `choices`, `dflt` when unset or empty. */
export function envChoice<T extends string>(name: string, choices: readonly T[], dflt: T): T {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  if (!(choices as readonly string[]).includes(v)) throw new Error(`${name} must be one of ${choices.join(', ')}, got "${v}"`);
  return v as T;
}
