/**
 * Masterminds/semver constraints as `semverCompare` reads them: `=`, `!=`,
 * `>`, `<`, `>=`, `<=`, `~`, `^`, `x`/`*` wildcards, `a - b` ranges,
 * comma or space for AND, `||` for OR. A pre-release version matches only
 * constraints that carry a pre-release themselves (`>=1.19-0`).
 */
import { comparePrerelease } from '../../catalog/semver.js';

interface Version {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly pre: string;
}

const RE = /^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

function parse(text: string): { v: Version; wild: number } | undefined {
  const m = RE.exec(text.trim());
  if (m === null) return undefined;
  const part = (x: string | undefined): number | undefined => (x === undefined || /^[xX*]$/.test(x) ? undefined : Number(x));
  const parts = [part(m[1]), part(m[2]), part(m[3])];
  const wild = parts.findIndex((x) => x === undefined);
  return { v: { major: parts[0] ?? 0, minor: parts[1] ?? 0, patch: parts[2] ?? 0, pre: m[4] ?? '' }, wild: wild < 0 ? 3 : wild };
}

function cmp(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch || comparePrerelease(a.pre || undefined, b.pre || undefined);
}

function bump(v: Version, at: number): Version {
  if (at === 0) return { major: v.major + 1, minor: 0, patch: 0, pre: '' };
  if (at === 1) return { major: v.major, minor: v.minor + 1, patch: 0, pre: '' };
  return { major: v.major, minor: v.minor, patch: v.patch + 1, pre: '' };
}

/** One `op version` term. */
function term(op: string, text: string, v: Version): boolean {
  const c = parse(text);
  if (c === undefined) throw new Error(`improper constraint: ${op}${text}`);
  if (v.pre !== '' && c.v.pre === '') return false;
  const lo = c.v;
  const ge = cmp(v, lo) >= 0;
  switch (op) {
    case '':
    case '=':
      return c.wild === 3 ? cmp(v, lo) === 0 : c.wild === 0 ? true : ge && cmp(v, bump(lo, c.wild - 1)) < 0;
    case '!=':
      return c.wild === 3 ? cmp(v, lo) !== 0 : !(ge && cmp(v, bump(lo, c.wild - 1)) < 0);
    case '>':
      return c.wild === 3 ? cmp(v, lo) > 0 : c.wild === 0 ? false : cmp(v, bump(lo, c.wild - 1)) >= 0;
    case '>=':
    case '=>':
      return ge;
    case '<':
      return cmp(v, lo) < 0;
    case '<=':
    case '=<':
      return c.wild === 3 ? cmp(v, lo) <= 0 : c.wild === 0 ? true : cmp(v, bump(lo, c.wild - 1)) < 0;
    case '~':
    case '~>':
      return ge && cmp(v, bump(lo, c.wild >= 2 ? 1 : 0)) < 0;
    case '^':
      return ge && cmp(v, bump(lo, lo.major > 0 || c.wild <= 1 ? 0 : lo.minor > 0 || c.wild === 2 ? 1 : 2)) < 0;
    default:
      throw new Error(`improper constraint: ${op}${text}`);
  }
}

export function semverCompare(constraint: string, version: string): boolean {
  const pv = parse(version);
  if (pv === undefined || pv.wild !== 3) throw new Error(`invalid semantic version: ${version}`);
  const v = pv.v;
  return constraint.split('||').some((alt) => {
    const t = alt.trim().replace(/\s+-\s+/g, ' - ');
    const range = /^(\S+) - (\S+)$/.exec(t);
    if (range) return term('>=', range[1]!, v) && term('<=', range[2]!, v);
    const terms = t.split(/[\s,]+/).filter((x) => x !== '');
    const joined: string[] = [];
    for (const x of terms) {
      if (/^(=|!=|>=?|<=?|=>|=<|~>?|\^)$/.test(x)) joined.push(x);
      else if (joined.length > 0 && /^(=|!=|>=?|<=?|=>|=<|~>?|\^)$/.test(joined[joined.length - 1]!)) joined[joined.length - 1] += x;
      else joined.push(x);
    }
    return joined.every((x) => {
      const m = /^(!=|>=|<=|=>|=<|~>|[=><~^])?(.*)$/.exec(x)!;
      return term(m[1] ?? '', m[2]!, v);
    });
  });
}
