/**
 * The lexer of Go's text/template as Helm uses it: the source is split into
 * text and actions (`{{ … }}`), with the trim markers `{{- ` and ` -}}`
 * removing the whitespace next to them and comments `{{/* … *\/}}` dropped;
 * each action is then cut into tokens. Every token keeps its line, for
 * errors of the form `NAME:LINE: …`.
 */
import { TemplateError } from './errors.js';

export type TokenKind =
  | 'field' // .Name (value: "Name"), or "." alone (value: "")
  | 'variable' // $name or $ (value includes the $)
  | 'identifier'
  | 'string'
  | 'number'
  | 'bool'
  | 'nil'
  | 'char'
  | 'pipe'
  | 'lparen'
  | 'rparen'
  | 'comma'
  | 'declare'
  | 'assign';

export interface Token {
  readonly kind: TokenKind;
  readonly value: string;
  /** For `field` tokens following `)` or a variable without a space: chained. */
  readonly chained: boolean;
  readonly line: number;
}

export type Segment = { readonly kind: 'text'; readonly text: string; readonly line: number } | { readonly kind: 'action'; readonly tokens: readonly Token[]; readonly line: number };

const SPACE = /[ \t\r\n]/;

function isAlnum(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9_]/.test(c);
}

/** Tokens of one action's inside (between the delimiters and trim markers). */
function tokenize(name: string, src: string, line0: number): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = line0;
  const fail = (why: string): never => {
    throw new TemplateError(name, line, why);
  };
  const push = (kind: TokenKind, value: string, chained = false): void => {
    out.push({ kind, value, chained, line });
  };
  while (i < src.length) {
    const c = src[i]!;
    if (SPACE.test(c)) {
      if (c === '\n') line++;
      i++;
      continue;
    }
    const prev = out[out.length - 1];
    const glued = i > 0 && !SPACE.test(src[i - 1]!) && prev !== undefined && (prev.kind === 'rparen' || prev.kind === 'variable' || prev.kind === 'field');
    if (c === '.' && !/[0-9]/.test(src[i + 1] ?? '')) {
      let j = i + 1;
      while (isAlnum(src[j])) j++;
      push('field', src.slice(i + 1, j), glued && src.slice(i + 1, j) !== '');
      i = j;
      continue;
    }
    if (c === '$') {
      let j = i + 1;
      while (isAlnum(src[j])) j++;
      push('variable', src.slice(i, j));
      i = j;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\\') j++;
        if (src[j] === '\n') fail('unterminated quoted string');
        j++;
      }
      if (j >= src.length) fail('unterminated quoted string');
      push('string', unquote(name, line, src.slice(i + 1, j)));
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0) fail('unterminated raw quoted string');
      const raw = src.slice(i + 1, j);
      push('string', raw);
      line += raw.split('\n').length - 1;
      i = j + 1;
      continue;
    }
    if (c === "'") {
      let j = i + 1;
      if (src[j] === '\\') j++;
      j++;
      if (src[j] !== "'") fail('malformed character constant');
      push('char', String(unquote(name, line, src.slice(i + 1, j)).codePointAt(0)));
      i = j + 1;
      continue;
    }
    const num = /[+-]?(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(?:[0-9][0-9_]*)?\.?[0-9_]*(?:[eE][+-]?[0-9]+)?)/y;
    if (/[0-9]/.test(c) || ((c === '-' || c === '+') && /[0-9.]/.test(src[i + 1] ?? '')) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      num.lastIndex = i;
      const m = num.exec(src);
      const text = m?.[0] ?? '';
      if (text === '' || isAlnum(src[i + text.length])) fail(`bad number syntax: "${src.slice(i, i + text.length + 1)}"`);
      push('number', text);
      i += text.length;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (isAlnum(src[j])) j++;
      const word = src.slice(i, j);
      if (word === 'true' || word === 'false') push('bool', word);
      else if (word === 'nil') push('nil', word);
      else push('identifier', word);
      i = j;
      continue;
    }
    if (c === ':' && src[i + 1] === '=') {
      push('declare', ':=');
      i += 2;
      continue;
    }
    const single: Record<string, TokenKind> = { '|': 'pipe', '(': 'lparen', ')': 'rparen', ',': 'comma', '=': 'assign' };
    const k = single[c];
    if (k === undefined) fail(`unexpected "${c}" in command`);
    push(k!, c);
    i++;
  }
  return out;
}

/** Go's interpreted string literal escapes. */
export function unquote(name: string, line: number, body: string): string {
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)/g, (_m, e: string) => {
    switch (e[0]) {
      case 'n': return '\n';
      case 't': return '\t';
      case 'r': return '\r';
      case 'a': return '\x07';
      case 'b': return '\b';
      case 'f': return '\f';
      case 'v': return '\v';
      case '\\': return '\\';
      case '"': return '"';
      case "'": return "'";
      case 'x': case 'u': case 'U': return String.fromCodePoint(parseInt(e.slice(1), 16));
      default:
        if (/[0-7]{3}/.test(e)) return String.fromCodePoint(parseInt(e, 8));
        throw new TemplateError(name, line, `unknown escape sequence \\${e}`);
    }
  });
}

/** Splits `src` into text and actions; trim markers and comments applied. */
export function lex(name: string, src: string): Segment[] {
  const out: Segment[] = [];
  let i = 0;
  let line = 1;
  let trimNext = false;
  while (i <= src.length) {
    const open = src.indexOf('{{', i);
    let text = src.slice(i, open < 0 ? src.length : open);
    const textLine = line;
    line += text.split('\n').length - 1;
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
    trimNext = false;
    if (open < 0) {
      if (text !== '') out.push({ kind: 'text', text, line: textLine });
      break;
    }
    let j = open + 2;
    const trimLeft = src[j] === '-' && SPACE.test(src[j + 1] ?? '');
    if (trimLeft) {
      text = text.replace(/[ \t\r\n]+$/, '');
      j += 2;
    }
    if (text !== '') out.push({ kind: 'text', text, line: textLine });
    const actionLine = line;
    // find the closing delimiter outside string literals
    let k = j;
    while (SPACE.test(src[k] ?? '')) k++;
    let end = -1;
    if (src.startsWith('/*', k)) {
      const close = src.indexOf('*/', k + 2);
      if (close < 0) throw new TemplateError(name, actionLine, 'unclosed comment');
      let after = close + 2;
      while (SPACE.test(src[after] ?? '')) after++;
      if (src.startsWith('-}}', after) && SPACE.test(src[after - 1] ?? '')) trimNext = true;
      else if (!src.startsWith('}}', after)) throw new TemplateError(name, actionLine, 'comment ends before closing delimiter');
      line += src.slice(j, after).split('\n').length - 1;
      i = after + (trimNext ? 3 : 2);
      continue;
    }
    while (k < src.length) {
      const c = src[k];
      if (c === '"' || c === '`' || c === "'") {
        const q = c;
        k++;
        while (k < src.length && src[k] !== q) {
          if (src[k] === '\\' && q !== '`') k++;
          k++;
        }
        k++;
        continue;
      }
      if (src.startsWith('}}', k)) {
        end = k;
        break;
      }
      k++;
    }
    if (end < 0) throw new TemplateError(name, actionLine, 'unclosed action');
    let inner = src.slice(j, end);
    if (inner.endsWith('-') && SPACE.test(inner[inner.length - 2] ?? '')) {
      inner = inner.slice(0, -1);
      trimNext = true;
    }
    out.push({ kind: 'action', tokens: tokenize(name, inner, actionLine), line: actionLine });
    line += src.slice(j, end).split('\n').length - 1;
    i = end + 2;
  }
  return out;
}
