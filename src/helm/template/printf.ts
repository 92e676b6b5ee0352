/**
 * Go's fmt.Sprintf for the verbs templates use: %v %s %d %q %f %e %g %x %X
 * %o %b %c %t %T %%, with flags (- + 0 space #), width and precision.
 * Argument mistakes print as Go does: `%!d(string=x)`, `%!v(MISSING)`,
 * `%!(EXTRA string=x)`.
 */
import { formatNumber, goString, isNil, typeOf } from './values.js';

function pad(s: string, width: number | undefined, left: boolean, zero: boolean): string {
  if (width === undefined || s.length >= width) return s;
  if (left) return s.padEnd(width, ' ');
  if (zero) {
    const sign = /^[+-]/.test(s) ? s[0]! : '';
    return sign + s.slice(sign.length).padStart(width - sign.length, '0');
  }
  return s.padStart(width, ' ');
}

function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function bad(verb: string, v: unknown): string {
  return `%!${verb}(${typeOf(v)}=${goString(v)})`;
}

function one(verb: string, v: unknown, flags: string, prec: number | undefined): string {
  const plus = flags.includes('+');
  const space = flags.includes(' ');
  const signed = (n: number, body: string): string => (n < 0 || Object.is(n, -0) ? body : plus ? `+${body}` : space ? ` ${body}` : body);
  switch (verb) {
    case 'v':
      if (typeof v === 'number' && plus) return signed(v, formatNumber(v));
      return isNil(v) ? '<nil>' : goString(v);
    case 's':
      if (typeof v === 'number' || typeof v === 'boolean') return bad(verb, v);
      return prec !== undefined ? goString(v).slice(0, prec) : isNil(v) ? '%!s(<nil>)' : goString(v);
    case 'q':
      if (typeof v === 'number' && Number.isInteger(v)) return `'${String.fromCodePoint(v)}'`;
      if (typeof v !== 'string') return bad(verb, v);
      return flags.includes('#') && !v.includes('`') ? `\`${v}\`` : goQuote(v);
    case 't':
      return typeof v === 'boolean' ? String(v) : bad(verb, v);
    case 'd':
      if (typeof v !== 'number' || !Number.isInteger(v)) return Array.isArray(v) ? `[${v.map((x) => one(verb, x, flags, prec)).join(' ')}]` : bad(verb, v);
      return signed(v, v.toFixed(0));
    case 'c':
      return typeof v === 'number' ? String.fromCodePoint(v) : bad(verb, v);
    case 'x':
    case 'X':
    case 'o':
    case 'b': {
      const base = verb === 'o' ? 8 : verb === 'b' ? 2 : 16;
      let s: string;
      if (typeof v === 'number' && Number.isInteger(v)) s = (v < 0 ? '-' : '') + Math.abs(v).toString(base);
      else if (typeof v === 'string' && base === 16) s = Buffer.from(v, 'utf8').toString('hex');
      else return bad(verb, v);
      if (flags.includes('#')) s = (base === 16 ? '0x' : base === 8 ? '0' : '0b') + s;
      return verb === 'X' ? s.toUpperCase() : s;
    }
    case 'f':
    case 'F':
    case 'e':
    case 'E':
    case 'g':
    case 'G': {
      if (typeof v !== 'number') return bad(verb, v);
      const l = verb.toLowerCase();
      let s: string;
      if (l === 'f') s = v.toFixed(prec ?? 6);
      else if (l === 'e') s = v.toExponential(prec ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
      else s = prec === undefined ? formatNumber(v) : String(Number(v.toPrecision(prec)));
      return signed(v, verb === verb.toUpperCase() ? s.toUpperCase() : s);
    }
    case 'T':
      return typeOf(v);
    default:
      return `%!${verb}(${typeOf(v)}=${goString(v)})`;
  }
}

export function sprintf(format: string, args: readonly unknown[]): string {
  let out = '';
  let n = 0;
  const re = /%([-+# 0]*)(\*|\d+)?(?:\.(\*|\d+)?)?([a-zA-Z%])?/g;
  let last = 0;
  for (let m = re.exec(format); m !== null; m = re.exec(format)) {
    out += format.slice(last, m.index);
    last = re.lastIndex;
    const [, flags = '', w, p, verb] = m;
    if (verb === undefined) {
      out += '%!(NOVERB)';
      continue;
    }
    if (verb === '%') {
      out += '%';
      continue;
    }
    const width = w === '*' ? Number(args[n++]) : w !== undefined ? Number(w) : undefined;
    const prec = p === '*' ? Number(args[n++]) : p !== undefined ? Number(p) : m[0].includes('.') ? 0 : undefined;
    if (n >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const s = one(verb, args[n++], flags, prec);
    out += pad(s, width, flags.includes('-'), flags.includes('0') && !'sqvtT'.includes(verb));
  }
  out += format.slice(last);
  if (n < args.length) out += `%!(EXTRA ${args.slice(n).map((a) => `${typeOf(a)}=${goString(a)}`).join(', ')})`;
  return out;
}

/** Go's fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: readonly unknown[]): string {
  let out = '';
  for (const [i, a] of args.entries()) {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += isNil(a) ? '<nil>' : goString(a);
  }
  return out;
}

export function sprintln(args: readonly unknown[]): string {
  return `${args.map((a) => (isNil(a) ? '<nil>' : goString(a))).join(' ')}\n`;
}
