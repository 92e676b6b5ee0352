/** Go's built-in template functions (text/template's funcs.go) except the lazy `and`/`or`, which the evaluator runs. */
import type { TemplateFunc } from './exec.js';
import { sprint, sprintf, sprintln } from './printf.js';
import { basicEqual, goString, hasOwn, isMap, isNil, isTrue, typeOf } from './values.js';

function need(name: string, args: unknown[], n: number): void {
  if (args.length !== n) throw new Error(`wrong number of args for ${name}: want ${n} got ${args.length}`);
}

function comparable(a: unknown, b: unknown): 'number' | 'string' {
  if (typeof a === 'number' && typeof b === 'number') return 'number';
  if (typeof a === 'string' && typeof b === 'string') return 'string';
  throw new Error(`incompatible types for comparison (${typeOf(a)} and ${typeOf(b)})`);
}

function less(a: unknown, b: unknown): boolean {
  comparable(a, b);
  return (a as number | string) < (b as number | string);
}

function index(args: unknown[]): unknown {
  if (args.length === 0) throw new Error('wrong number of args for index: want at least 1 got 0');
  let cur = args[0];
  for (const k of args.slice(1)) {
    if (isNil(cur)) throw new Error('index of untyped nil');
    if (Array.isArray(cur) || typeof cur === 'string') {
      if (typeof k !== 'number' || !Number.isInteger(k)) throw new Error(`cannot index slice/array with type ${typeOf(k)}`);
      if (k < 0 || k >= cur.length) throw new Error(`error calling index: index out of range: ${k}`);
      cur = typeof cur === 'string' ? cur.charCodeAt(k) : cur[k];
    } else if (isMap(cur)) {
      const key = goString(k);
      cur = hasOwn(cur, key) ? cur[key] : undefined;
    } else throw new Error(`can't index item of type ${typeOf(cur)}`);
  }
  return cur;
}

function slice(args: unknown[]): unknown {
  const [v, ...idx] = args;
  if (isNil(v)) throw new Error('slice of untyped nil');
  if (!Array.isArray(v) && typeof v !== 'string') throw new Error(`can't slice item of type ${typeOf(v)}`);
  if (idx.length > 3) throw new Error(`too many slice indexes: ${idx.length}`);
  const i = (idx[0] as number | undefined) ?? 0;
  const j = (idx[1] as number | undefined) ?? v.length;
  if (i < 0 || j < i || j > v.length) throw new Error(`index out of range: ${i}:${j}`);
  return v.slice(i, j);
}

function length(args: unknown[]): number {
  need('len', args, 1);
  const v = args[0];
  if (isNil(v)) throw new Error('len of nil pointer');
  if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
  if (Array.isArray(v)) return v.length;
  if (v instanceof Uint8Array) return v.length;
  if (isMap(v)) return Object.keys(v).length;
  throw new Error(`len of type ${typeOf(v)}`);
}

function eq(args: unknown[]): boolean {
  if (args.length < 2) throw new Error('missing argument for comparison');
  const [a, ...rest] = args;
  return rest.some((b) => {
    if (!isNil(a) && !isNil(b) && typeof a !== typeof b) throw new Error(`incompatible types for comparison (${typeOf(a)} and ${typeOf(b)})`);
    if ((Array.isArray(a) || isMap(a)) && !isNil(a)) throw new Error(`non-comparable type ${typeOf(a)}`);
    return basicEqual(a, b);
  });
}

function escapeHtml(s: string): string {
  return s.replace(/[&'<>"\0]/g, (c) => ({ '&': '&amp;', "'": '&#39;', '<': '&lt;', '>': '&gt;', '"': '&#34;', '\0': '\uFFFD' })[c]!);
}

export const CORE_FUNCS: ReadonlyArray<[string, TemplateFunc]> = [
  ['not', (a) => (need('not', a, 1), !isTrue(a[0]))],
  ['len', length],
  ['index', index],
  ['slice', slice],
  ['print', (a) => sprint(a)],
  ['printf', (a) => sprintf(goString(a[0] ?? ''), a.slice(1))],
  ['println', (a) => sprintln(a)],
  ['eq', eq],
  ['ne', (a) => (need('ne', a, 2), !eq(a))],
  ['lt', (a) => (need('lt', a, 2), less(a[0], a[1]))],
  ['le', (a) => (need('le', a, 2), less(a[0], a[1]) || a[0] === a[1])],
  ['gt', (a) => (need('gt', a, 2), less(a[1], a[0]))],
  ['ge', (a) => (need('ge', a, 2), less(a[1], a[0]) || a[0] === a[1])],
  ['html', (a) => escapeHtml(sprint(a))],
  ['js', (a) => sprint(a).replace(/[\\'"<>&=\n\r\t]/g, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`)],
  ['urlquery', (a) => encodeURIComponent(sprint(a)).replace(/%20/g, '+')],
  [
    'call',
    (a) => {
      const [fn, ...rest] = a;
      if (typeof fn !== 'function') throw new Error(`non-function of type ${typeOf(fn)}`);
      return (fn as (...x: unknown[]) => unknown)(...rest);
    },
  ],
];
