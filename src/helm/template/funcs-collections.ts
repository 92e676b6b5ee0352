/** sprig's list, dict and default/flow functions. Maps are plain objects; `merge` fills, `mergeOverwrite` replaces (mergo semantics, deep for maps). */
import type { TemplateFunc } from './exec.js';
import { TemplateFailError } from './errors.js';
import { basicEqual, checkItems, deepCopy, goString, hasOwn, isEmpty, isMap, isNil, isTrue, kindOf, setKey, sortedKeys, toInt, toStr, typeOf, type GoMap } from './values.js';

function list(v: unknown, fn: string): unknown[] {
  if (isNil(v)) return [];
  if (Array.isArray(v)) return v;
  throw new Error(`cannot ${fn} on type ${typeOf(v)}`);
}

/** A map argument; nil is Go's zero map (text/template passes nil as the zero value of a map parameter). */
function map(v: unknown, fn: string): GoMap {
  if (isMap(v)) return v;
  if (isNil(v)) return {};
  throw new Error(`${fn}: expected a map, got ${typeOf(v)}`);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isMap(a) && isMap(b)) {
    const ka = sortedKeys(a);
    const kb = sortedKeys(b);
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && deepEqual(a[k], b[k]));
  }
  return basicEqual(a, b);
}

/** mergo.Merge(dst, src[, WithOverride]): deep for nested maps; without override only absent or empty (nil, "", 0, false, empty) destination values are filled; with it, every non-empty source value wins. */
export function mergeInto(dst: GoMap, src: GoMap, override: boolean): GoMap {
  for (const k of Object.keys(src)) {
    const sv = src[k];
    const dv = hasOwn(dst, k) ? dst[k] : undefined;
    if (isMap(dv) && isMap(sv)) mergeInto(dv, sv, override);
    else if (!hasOwn(dst, k) || (override ? !isEmpty(sv) : isEmpty(dv))) setKey(dst, k, deepCopy(sv));
  }
  return dst;
}

function dig(a: unknown[]): unknown {
  if (a.length < 3) throw new Error('dig needs at least three arguments');
  const m = a[a.length - 1];
  const def = a[a.length - 2];
  let cur: unknown = m;
  for (const k of a.slice(0, -2)) {
    if (!isMap(cur) || !hasOwn(cur, toStr(k))) return def;
    cur = cur[toStr(k)];
  }
  return cur;
}

function until(n: number, step = 1, start = 0): number[] {
  const out: number[] = [];
  if (step === 0) return out;
  checkItems(Math.abs((n - start) / step), 'until');
  for (let i = start; step > 0 ? i < n : i > n; i += step) out.push(i);
  return out;
}

export const COLLECTION_FUNCS: ReadonlyArray<[string, TemplateFunc]> = [
  ['list', (a) => [...a]],
  ['dict', (a) => { const m: GoMap = {}; for (let i = 0; i < a.length; i += 2) setKey(m, toStr(a[i]), a[i + 1]); return m; }],
  ['get', (a) => { const m = map(a[0], 'get'); const k = toStr(a[1]); return hasOwn(m, k) ? m[k] : ''; }],
  ['set', (a) => { const m = map(a[0], 'set'); setKey(m, toStr(a[1]), a[2]); return m; }],
  ['unset', (a) => { const m = map(a[0], 'unset'); delete m[toStr(a[1])]; return m; }],
  ['hasKey', (a) => hasOwn(map(a[0], 'hasKey'), toStr(a[1]))],
  ['keys', (a) => a.flatMap((m) => sortedKeys(map(m, 'keys')))],
  ['values', (a) => { const m = map(a[0], 'values'); return sortedKeys(m).map((k) => m[k]); }],
  ['pluck', (a) => { const k = toStr(a[0]); return a.slice(1).filter((m) => isMap(m) && hasOwn(m, k)).map((m) => (m as GoMap)[k]); }],
  ['pick', (a) => { const m = map(a[0], 'pick'); const out: GoMap = {}; for (const k of a.slice(1).map(toStr)) if (hasOwn(m, k)) setKey(out, k, m[k]); return out; }],
  ['omit', (a) => { const m = map(a[0], 'omit'); const drop = new Set(a.slice(1).map(toStr)); const out: GoMap = {}; for (const k of Object.keys(m)) if (!drop.has(k)) setKey(out, k, m[k]); return out; }],
  ['dig', dig],
  ['merge', (a) => a.slice(1).reduce<GoMap>((d, x) => mergeInto(d, map(x, 'merge'), false), map(a[0], 'merge'))],
  ['mustMerge', (a) => a.slice(1).reduce<GoMap>((d, x) => mergeInto(d, map(x, 'merge'), false), map(a[0], 'merge'))],
  ['mergeOverwrite', (a) => a.slice(1).reduce<GoMap>((d, x) => mergeInto(d, map(x, 'mergeOverwrite'), true), map(a[0], 'mergeOverwrite'))],
  ['mustMergeOverwrite', (a) => a.slice(1).reduce<GoMap>((d, x) => mergeInto(d, map(x, 'mergeOverwrite'), true), map(a[0], 'mergeOverwrite'))],
  ['deepCopy', (a) => deepCopy(a[0])],
  ['first', (a) => list(a[0], 'first')[0]],
  ['last', (a) => { const l = list(a[0], 'last'); return l[l.length - 1]; }],
  ['rest', (a) => list(a[0], 'rest').slice(1)],
  ['initial', (a) => list(a[0], 'initial').slice(0, -1)],
  ['append', (a) => [...list(a[0], 'append'), a[1]]],
  ['mustAppend', (a) => [...list(a[0], 'append'), a[1]]],
  ['prepend', (a) => [a[1], ...list(a[0], 'prepend')]],
  ['concat', (a) => a.flatMap((l) => list(l, 'concat'))],
  ['reverse', (a) => [...list(a[0], 'reverse')].reverse()],
  ['uniq', (a) => list(a[0], 'uniq').filter((x, i, all) => all.findIndex((y) => deepEqual(x, y)) === i)],
  ['has', (a) => list(a[1], 'has').some((x) => deepEqual(x, a[0]))],
  ['without', (a) => list(a[0], 'without').filter((x) => !a.slice(1).some((y) => deepEqual(x, y)))],
  ['compact', (a) => list(a[0], 'compact').filter((x) => !isEmpty(x))],
  ['sortAlpha', (a) => list(a[0], 'sortAlpha').map((x) => toStr(x)).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))],
  ['join', (a) => (Array.isArray(a[1]) ? a[1] : isNil(a[1]) ? [] : [a[1]]).filter((x) => !isNil(x)).map((x) => toStr(x)).join(toStr(a[0]))],
  ['toStrings', (a) => list(a[0], 'toStrings').map((x) => (isNil(x) ? '' : toStr(x)))],
  ['until', (a) => until(toInt(a[0]))],
  ['untilStep', (a) => until(toInt(a[1]), toInt(a[2]), toInt(a[0]))],
  ['seq', (a) => { const n = a.map(toInt); const [x = 1, y = 1, z] = n; const r = n.length === 1 ? until(x + 1, 1, 1) : n.length === 2 ? until(y + (y >= x ? 1 : -1), y >= x ? 1 : -1, x) : until(z! + (y! > 0 ? 1 : -1), y!, x); return r.join(' '); }],
  ['default', (a) => (a.length < 2 || isEmpty(a[1]) ? a[0] : a[1])],
  ['coalesce', (a) => a.find((x) => !isEmpty(x))],
  ['ternary', (a) => (isTrue(a[2]) ? a[0] : a[1])],
  ['all', (a) => a.every((x) => !isEmpty(x))],
  ['any', (a) => a.some((x) => !isEmpty(x))],
  ['kindOf', (a) => kindOf(a[0])],
  ['kindIs', (a) => kindOf(a[1]) === toStr(a[0])],
  ['typeOf', (a) => typeOf(a[0])],
  ['typeIs', (a) => typeOf(a[1]) === toStr(a[0])],
  ['typeIsLike', (a) => typeOf(a[1]) === toStr(a[0]) || typeOf(a[1]) === `*${toStr(a[0])}`],
  ['deepEqual', (a) => deepEqual(a[0], a[1])],
  ['fail', (a) => { throw new TemplateFailError(goString(a[0])); }],
];
