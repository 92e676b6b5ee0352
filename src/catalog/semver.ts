/**
 * Semantic versions (semver 2.0.0) and the range syntax OLM uses for
 * `skipRange` and `olm.package.required` `versionRange` (blang/semver):
 * comparators `>=1.2.0`, `<2.0.0`, `>`, `<=`, `=`/`==`, `!=`/`!` (bare
 * version = `=`), space-separated comparators AND-ed, `||` OR-ed. A range
 * version may omit minor/patch or use `x`/`*` there: `1.2` and `1.2.x` mean
 * `>=1.2.0 <1.3.0`, `>=4.6` is `>=4.6.0`, `<=1.x` is `<2.0.0`, `>1.2` is
 * `>=1.3.0`. Anything else is a SemverError.
 */
export class SemverError extends Error {
  readonly code = 'ERR_SEMVER';
}

export interface Semver {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly pre: readonly (string | number)[];
  readonly text: string;
}

const STRICT = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/** Parses a full version (a leading `v` is tolerated). */
export function parseSemver(text: string): Semver {
  const m = STRICT.exec(text.trim());
  if (!m) throw new SemverError(`"${text}" is not a semantic version (MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD])`);
  const pre = m[4] === undefined ? [] : m[4].split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre, text };
}

export function isSemver(text: string): boolean {
  return STRICT.test(text.trim());
}

/** Semver precedence: <0, 0, >0 (build metadata ignored). */
export function compareSemver(a: Semver, b: Semver): number {
  for (const k of ['major', 'minor', 'patch'] as const) if (a[k] !== b[k]) return a[k] - b[k];
  if (a.pre.length === 0 || b.pre.length === 0) return b.pre.length - a.pre.length;
  for (let i = 0; i < Math.min(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i]!;
    const y = b.pre[i]!;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    if (typeof x === 'number') return -1;
    if (typeof y === 'number') return 1;
    return x < y ? -1 : 1;
  }
  return a.pre.length - b.pre.length;
}

/**
 * Semver precedence of two pre-release strings (`rc.1`, `beta.2`); undefined
 * is a release, which sorts after any pre-release. Numeric identifiers sort
 * numerically and before alphanumeric ones.
 */
export function comparePrerelease(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny && Number(x) !== Number(y)) return Number(x) - Number(y);
    if (nx !== ny) return nx ? -1 : 1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

type Op = '=' | '!=' | '>' | '>=' | '<' | '<=';
interface Comparator {
  readonly op: Op;
  readonly v: Semver;
}

/** A parsed range: OR of AND-ed comparators. */
export interface SemverRange {
  readonly text: string;
  test(v: Semver): boolean;
}

const COMPARATOR = /^(>=|<=|==|!=|>|<|=|!)?\s*v?([0-9x*X]+(?:\.[0-9x*X]+){0,2}(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$/;

/** `1`, `1.2`, `1.x` → the comparators they stand for (blang's wildcard expansion). */
function expand(op: Op, text: string, whole: string): Comparator[] {
  const [core, ...rest] = text.split('-');
  const suffix = rest.length > 0 ? `-${rest.join('-')}` : '';
  const parts = core!.split('.');
  const wild = parts.findIndex((p) => p === 'x' || p === 'X' || p === '*');
  if (wild < 0 && parts.length === 3) return [{ op, v: parseSemver(text) }];
  if (suffix !== '' && (wild >= 0 || parts.length < 3)) throw new SemverError(`range "${whole}": a prerelease needs a full version`);
  const fixed = (wild < 0 ? parts : parts.slice(0, wild)).map(Number);
  if (fixed.some((n) => !Number.isSafeInteger(n))) throw new SemverError(`range "${whole}": "${text}" is not a version`);
  if (fixed.length === 0) return op === '=' || op === '>=' || op === '<=' ? [] : [{ op: '<', v: parseSemver('0.0.0') }];
  const lo = parseSemver([...fixed, 0, 0, 0].slice(0, 3).join('.'));
  const next = [...fixed];
  next[next.length - 1]! += 1;
  const hi = parseSemver([...next, 0, 0, 0].slice(0, 3).join('.'));
  switch (op) {
    case '=':
      return [{ op: '>=', v: lo }, { op: '<', v: hi }];
    case '!=':
      throw new SemverError(`"!=${text}": a partial version cannot be excluded; write it in full`);
    case '>':
      return [{ op: '>=', v: hi }];
    case '>=':
      return [{ op: '>=', v: lo }];
    case '<':
      return [{ op: '<', v: lo }];
    case '<=':
      return [{ op: '<', v: hi }];
  }
}

/** Parses an OLM range; throws SemverError naming the range. */
export function parseSemverRange(text: string): SemverRange {
  const alternatives = text.split('||').map((alt) => {
    const tokens = alt
      .trim()
      .replace(/(>=|<=|==|!=|>|<|=|!)\s+/g, '$1')
      .split(/\s+/)
      .filter((t) => t !== '');
    if (tokens.length === 0) throw new SemverError(`range "${text}" has an empty alternative`);
    return tokens.flatMap((t) => {
      const m = COMPARATOR.exec(t);
      if (!m) throw new SemverError(`range "${text}": "${t}" is not a comparator like >=1.2.0`);
      const op = (m[1] === '==' ? '=' : m[1] === '!' ? '!=' : (m[1] ?? '=')) as Op;
      try {
        return expand(op, m[2]!, text);
      } catch (e) {
        throw new SemverError(`range "${text}": ${(e as Error).message}`);
      }
    });
  });
  const holds = (c: Comparator, v: Semver): boolean => {
    const d = compareSemver(v, c.v);
    return c.op === '=' ? d === 0 : c.op === '!=' ? d !== 0 : c.op === '>' ? d > 0 : c.op === '>=' ? d >= 0 : c.op === '<' ? d < 0 : d <= 0;
  };
  return { text, test: (v) => alternatives.some((all) => all.every((c) => holds(c, v))) };
}
