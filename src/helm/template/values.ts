/**
 * Go values as the renderer holds them: nil is undefined or null, strings,
 * numbers (Go's int and float64 are both JS numbers; an integral number
 * prints as an integer), booleans, lists (arrays) and maps (plain objects,
 * keys sorted when ranged or printed, as Go does). Functions stand for
 * methods (`.Files.Get`, `.Capabilities.APIVersions.Has`).
 *
 * One known difference from Helm: values are float64 there, so a value of
 * 1000000 prints as `1e+06` in Helm and as `1000000` here.
 */
export type GoMap = Record<string, unknown>;

export function isMap(v: unknown): v is GoMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

export function isNil(v: unknown): v is null | undefined {
  return v === undefined || v === null;
}

/** Go's template truth: false, 0, nil, "", and empty lists and maps are false. */
export function isTrue(v: unknown): boolean {
  if (isNil(v)) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v !== '';
  if (Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  return true;
}

/** sprig's `empty`: the same as not true. */
export const isEmpty = (v: unknown): boolean => !isTrue(v);

/** Go's %v of a float64 (strconv 'g', shortest): exponent form below 1e-4 and from 1e21. */
export function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return n.toFixed(0);
  const exp = n === 0 ? 0 : Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 21) {
    const [m, e = '0'] = n.toExponential().split('e');
    const en = Number(e);
    return `${m}e${en < 0 ? '-' : '+'}${String(Math.abs(en)).padStart(2, '0')}`;
  }
  return String(n);
}

/** Go's `%v` / `print` form of a value. `nilText` is what nil prints as. */
export function goString(v: unknown, nilText = '<nil>'): string {
  if (isNil(v)) return nilText;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `[${v.map((x) => goString(x)).join(' ')}]`;
  if (v instanceof Uint8Array) return `[${[...v].join(' ')}]`;
  if (isMap(v) && typeof v.String === 'function') return String((v.String as () => unknown)()); // a Go Stringer (.Capabilities.KubeVersion)
  if (isMap(v)) return `map[${sortedKeys(v).map((k) => `${k}:${goString(v[k])}`).join(' ')}]`;
  if (typeof v === 'function') return '<func>';
  return String(v);
}

/** What an action prints: nil prints nothing (Helm removes Go's `<no value>`). */
export function actionText(v: unknown): string {
  return goString(v, '');
}

/** Map keys in Go's order (sorted by bytes). */
export function sortedKeys(m: GoMap): string[] {
  return Object.keys(m).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** sprig's `kindOf`. */
export function kindOf(v: unknown): string {
  if (isNil(v)) return 'invalid';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (Array.isArray(v)) return 'slice';
  if (isMap(v)) return 'map';
  if (typeof v === 'function') return 'func';
  return 'ptr';
}

/** sprig's `typeOf` (Go's %T). */
export function typeOf(v: unknown): string {
  if (isNil(v)) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  if (isMap(v)) return 'map[string]interface {}';
  return kindOf(v);
}

/** sprig's toString. */
export function toStr(v: unknown): string {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return goString(v);
}

/** sprig's toInt64 (cast.ToInt64E, lenient: bad input is 0). */
export function toInt(v: unknown): number {
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const t = v.trim();
    if (/^[+-]?[0-9]+$/.test(t)) return Number(t);
    if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(t)) return parseInt(t, 16);
    const f = Number(t);
    return t !== '' && Number.isFinite(f) ? Math.trunc(f) : 0;
  }
  return 0;
}

export function toFloat(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const f = Number(v.trim());
    return Number.isFinite(f) ? f : 0;
  }
  return 0;
}

/** Go's `eq` of two basic values (numbers by value, others by identity/content for strings and bools). */
export function basicEqual(a: unknown, b: unknown): boolean {
  if (isNil(a) || isNil(b)) return isNil(a) && isNil(b);
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  return a === b;
}

/** A deep copy of data (lists and maps), as sprig's deepCopy. */
export function deepCopy<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => deepCopy(x)) as T;
  if (isMap(v) && typeof v !== 'function') {
    const out: GoMap = {};
    for (const [k, x] of Object.entries(v)) out[k] = deepCopy(x);
    return out as T;
  }
  return v;
}

/** A map safe against `__proto__` keys. */
export function newMap(): GoMap {
  return {};
}

export function setKey(m: GoMap, k: string, v: unknown): void {
  Object.defineProperty(m, k, { value: v, enumerable: true, writable: true, configurable: true });
}

export function hasOwn(m: GoMap, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(m, k);
}

/** Bounds on what one function call may build (`until`, `repeat`, range over an int): a template cannot exhaust memory. */
export const MAX_ITEMS = 1_000_000;
export const MAX_STRING = 64 * 1024 * 1024;

export function checkItems(n: number, what: string): number {
  if (n > MAX_ITEMS) throw new Error(`${what}: ${n} items is more than ${MAX_ITEMS}`);
  return n;
}
