/**
 * One JSON document, many byte spellings: indentation, spacing around `:`,
 * key order, `\/` and `\u0065` escapes, a trailing newline. Every spelling
 * parses to the same value; each has its own bytes (and digest).
 */
import fc from 'fast-check';

export interface Spelling {
  readonly indent: string;
  readonly colon: string;
  readonly reverseKeys: boolean;
  readonly escapeSlash: boolean;
  readonly unicodeEscapes: boolean;
  readonly newline: boolean;
}

export const spelling: fc.Arbitrary<Spelling> = fc.record({
  indent: fc.constantFrom('', '', '  ', '   ', '\t'),
  colon: fc.constantFrom(':', ': ', ' : '),
  reverseKeys: fc.boolean(),
  escapeSlash: fc.boolean(),
  unicodeEscapes: fc.boolean(),
  newline: fc.boolean(),
});

function str(s: string, sp: Spelling): string {
  let out = JSON.stringify(s);
  if (sp.escapeSlash) out = out.replace(/\//g, '\\/');
  if (sp.unicodeEscapes) out = out.replace(/e/g, '\\u0065');
  return out;
}

/** `value` as JSON text in the given spelling (same document for every spelling). */
export function spell(value: unknown, sp: Spelling, depth = 0): string {
  const nl = sp.indent === '' ? '' : `\n${sp.indent.repeat(depth + 1)}`;
  const close = sp.indent === '' ? '' : `\n${sp.indent.repeat(depth)}`;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[${value.map((v) => nl + spell(v, sp, depth + 1)).join(',')}${close}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value);
    if (sp.reverseKeys) keys.reverse();
    if (keys.length === 0) return '{}';
    return `{${keys.map((k) => `${nl}${str(k, sp)}${sp.colon}${spell((value as Record<string, unknown>)[k], sp, depth + 1)}`).join(',')}${close}}`;
  }
  if (typeof value === 'string') return str(value, sp);
  return JSON.stringify(value);
}

export function spelled(value: unknown, sp: Spelling): Buffer {
  return Buffer.from(spell(value, sp) + (sp.newline ? '\n' : ''), 'utf8');
}
