/** sprig's string, conversion, math, encoding and regular-expression functions (the ones charts use). */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { TemplateFunc } from './exec.js';
import { goString, isEmpty, isNil, MAX_STRING, toFloat, toInt, toStr } from './values.js';

const s = (v: unknown): string => (isNil(v) ? '' : toStr(v));

function goQuote(v: string): string {
  return JSON.stringify(v);
}

function cutset(set: string): RegExp {
  const esc = set.replace(/[\\\]^-]/g, '\\$&');
  return new RegExp(`^[${esc}]+|[${esc}]+$`, 'gu');
}

function title(v: string): string {
  return v.replace(/(^|[\s\p{P}])(\p{L})/gu, (_m, a: string, b: string) => a + b.toUpperCase());
}

function words(v: string): string[] {
  return v
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s_\-.]+/)
    .filter((w) => w !== '');
}

function random(n: number, alphabet: string): string {
  const bytes = randomBytes(Math.max(0, n));
  return [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
}

const ALPHA = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';

/** Go's RE2 syntax mostly matches JS; `(?P<name>` is JS's `(?<name>`. */
export function goRegExp(re: unknown, flags = ''): RegExp {
  return new RegExp(s(re).replace(/\(\?P</g, '(?<'), flags);
}

function nums(a: unknown[]): number[] {
  return a.map(toInt);
}

export const STRING_FUNCS: ReadonlyArray<[string, TemplateFunc]> = [
  ['trim', (a) => s(a[0]).trim()],
  ['trimAll', (a) => s(a[1]).replace(cutset(s(a[0])), '')],
  ['trimPrefix', (a) => (s(a[1]).startsWith(s(a[0])) ? s(a[1]).slice(s(a[0]).length) : s(a[1]))],
  ['trimSuffix', (a) => (s(a[0]) !== '' && s(a[1]).endsWith(s(a[0])) ? s(a[1]).slice(0, -s(a[0]).length) : s(a[1]))],
  ['upper', (a) => s(a[0]).toUpperCase()],
  ['lower', (a) => s(a[0]).toLowerCase()],
  ['title', (a) => title(s(a[0]))],
  ['untitle', (a) => s(a[0]).replace(/(^|\s)(\S)/g, (_m, x: string, y: string) => x + y.toLowerCase())],
  ['repeat', (a) => { const n = Math.max(0, toInt(a[0])); if (n * s(a[1]).length > MAX_STRING) throw new Error(`repeat: the result is longer than ${MAX_STRING} characters`); return s(a[1]).repeat(n); }],
  ['substr', (a) => { const v = s(a[2]); const st = toInt(a[0]); const en = toInt(a[1]); return st < 0 ? v.slice(0, en) : en < 0 || en > v.length ? v.slice(st) : v.slice(st, en); }],
  ['nospace', (a) => s(a[0]).replace(/\s/g, '')],
  ['trunc', (a) => { const n = toInt(a[0]); const v = s(a[1]); return n >= 0 ? v.slice(0, n) : v.slice(Math.max(0, v.length + n)); }],
  ['abbrev', (a) => { const n = toInt(a[0]); const v = s(a[1]); return n < 4 || v.length <= n ? v : `${v.slice(0, n - 3)}...`; }],
  ['indent', (a) => { const pad = ' '.repeat(Math.max(0, toInt(a[0]))); return pad + s(a[1]).replace(/\n/g, `\n${pad}`); }],
  ['nindent', (a) => { const pad = ' '.repeat(Math.max(0, toInt(a[0]))); return `\n${pad}${s(a[1]).replace(/\n/g, `\n${pad}`)}`; }],
  ['replace', (a) => s(a[2]).split(s(a[0])).join(s(a[1]))],
  ['plural', (a) => (toInt(a[2]) === 1 ? s(a[0]) : s(a[1]))],
  ['snakecase', (a) => words(s(a[0])).map((w) => w.toLowerCase()).join('_')],
  ['kebabcase', (a) => words(s(a[0])).map((w) => w.toLowerCase()).join('-')],
  ['camelcase', (a) => words(s(a[0])).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')],
  ['quote', (a) => a.filter((x) => !isNil(x)).map((x) => goQuote(toStr(x))).join(' ')],
  ['squote', (a) => a.filter((x) => !isNil(x)).map((x) => `'${toStr(x)}'`).join(' ')],
  ['cat', (a) => a.filter((x) => !isNil(x)).map((x) => goString(x)).join(' ')],
  ['contains', (a) => s(a[1]).includes(s(a[0]))],
  ['hasPrefix', (a) => s(a[1]).startsWith(s(a[0]))],
  ['hasSuffix', (a) => s(a[1]).endsWith(s(a[0]))],
  ['split', (a) => Object.fromEntries(s(a[1]).split(s(a[0])).map((p, i) => [`_${i}`, p]))],
  ['splitList', (a) => s(a[1]).split(s(a[0]))],
  ['splitn', (a) => { const parts = s(a[2]).split(s(a[0])); const n = toInt(a[1]); const cut = n > 0 && parts.length > n ? [...parts.slice(0, n - 1), parts.slice(n - 1).join(s(a[0]))] : parts; return Object.fromEntries(cut.map((p, i) => [`_${i}`, p])); }],
  ['toString', (a) => s(a[0])],
  ['atoi', (a) => { const v = s(a[0]).trim(); return /^[+-]?\d+$/.test(v) ? Number(v) : 0; }],
  ['int', (a) => toInt(a[0])],
  ['int64', (a) => toInt(a[0])],
  ['float64', (a) => toFloat(a[0])],
  ['toDecimal', (a) => parseInt(s(a[0]), 8) || 0],
  ['add', (a) => nums(a).reduce((x, y) => x + y, 0)],
  ['add1', (a) => toInt(a[0]) + 1],
  ['sub', (a) => toInt(a[0]) - toInt(a[1])],
  ['mul', (a) => nums(a).reduce((x, y) => x * y, 1)],
  ['div', (a) => { const d = toInt(a[1]); if (d === 0) throw new Error('integer divide by zero'); return Math.trunc(toInt(a[0]) / d); }],
  ['mod', (a) => { const d = toInt(a[1]); if (d === 0) throw new Error('integer divide by zero'); return toInt(a[0]) % d; }],
  ['max', (a) => Math.max(...nums(a))],
  ['min', (a) => Math.min(...nums(a))],
  ['addf', (a) => a.map(toFloat).reduce((x, y) => x + y, 0)],
  ['subf', (a) => a.map(toFloat).reduce((x, y) => x - y)],
  ['mulf', (a) => a.map(toFloat).reduce((x, y) => x * y, 1)],
  ['divf', (a) => a.map(toFloat).reduce((x, y) => x / y)],
  ['maxf', (a) => Math.max(...a.map(toFloat))],
  ['minf', (a) => Math.min(...a.map(toFloat))],
  ['floor', (a) => Math.floor(toFloat(a[0]))],
  ['ceil', (a) => Math.ceil(toFloat(a[0]))],
  ['round', (a) => { const p = 10 ** toInt(a[1]); return Math.round(toFloat(a[0]) * p) / p; }],
  ['b64enc', (a) => Buffer.from(s(a[0]), 'utf8').toString('base64')],
  ['b64dec', (a) => Buffer.from(s(a[0]), 'base64').toString('utf8')],
  ['b32enc', (a) => s(a[0])],
  ['sha256sum', (a) => createHash('sha256').update(s(a[0])).digest('hex')],
  ['sha1sum', (a) => createHash('sha1').update(s(a[0])).digest('hex')],
  ['randAlphaNum', (a) => random(toInt(a[0]), ALPHA + DIGITS)],
  ['randAlpha', (a) => random(toInt(a[0]), ALPHA)],
  ['randNumeric', (a) => random(toInt(a[0]), DIGITS)],
  ['randAscii', (a) => random(toInt(a[0]), ALPHA + DIGITS + '!#$%&()*+,-./:;<=>?@[]^_{|}~')],
  ['uuidv4', () => randomUUID()],
  ['regexMatch', (a) => goRegExp(a[0]).test(s(a[1]))],
  ['mustRegexMatch', (a) => goRegExp(a[0]).test(s(a[1]))],
  ['regexFind', (a) => goRegExp(a[0]).exec(s(a[1]))?.[0] ?? ''],
  ['regexFindAll', (a) => { const all = [...s(a[1]).matchAll(goRegExp(a[0], 'g'))].map((m) => m[0]); const n = toInt(a[2]); return n < 0 ? all : all.slice(0, n); }],
  ['regexReplaceAll', (a) => s(a[1]).replace(goRegExp(a[0], 'g'), s(a[2]).replace(/\$\{?(\w+)\}?/g, (_m, g: string) => (/^\d+$/.test(g) ? `$${g}` : `$<${g}>`)))],
  ['regexReplaceAllLiteral', (a) => s(a[1]).replace(goRegExp(a[0], 'g'), () => s(a[2]))],
  ['regexSplit', (a) => { const parts = s(a[1]).split(goRegExp(a[0])); const n = toInt(a[2]); return n < 0 ? parts : parts.slice(0, n); }],
  ['empty', (a) => isEmpty(a[0])],
];
