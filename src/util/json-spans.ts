/**
 * A strict JSON (RFC 8259) parser that remembers where every value and
 * object member sits in the text, so a credentials file can be edited by
 * splicing: the bytes of everything that is not changed stay as they were
 * (key order, spacing, escapes, number spellings, unknown fields).
 *
 * Errors say where (line and column) and what was expected, and never quote
 * the text: a credentials file's content is secret.
 */

export type JsonNode =
  | { readonly kind: 'object'; readonly start: number; readonly end: number; readonly members: readonly JsonMember[] }
  | { readonly kind: 'array'; readonly start: number; readonly end: number; readonly items: readonly JsonNode[] }
  | { readonly kind: 'string'; readonly start: number; readonly end: number; readonly value: string }
  | { readonly kind: 'number' | 'true' | 'false' | 'null'; readonly start: number; readonly end: number };

export type JsonObjectNode = Extract<JsonNode, { kind: 'object' }>;

export interface JsonMember {
  /** The decoded key. */
  readonly key: string;
  /** Span of the key's string literal, quotes included. */
  readonly keyStart: number;
  readonly keyEnd: number;
  readonly value: JsonNode;
}

export class JsonSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    readonly problem: string,
  ) {
    super(`line ${line}, column ${column}: ${problem}`);
    this.name = 'JsonSyntaxError';
  }
}

const MAX_DEPTH = 256;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/** A member name as messages may show it: field and host names are not secret; anything else is not quoted. */
function nameForMessage(key: string): string {
  return /^[\w.:/@+-]{1,100}$/.test(key) ? `"${key}"` : '(not shown)';
}

/**
 * Parses `text` (one JSON value, optionally after a UTF-8 BOM) into spans.
 * A member name repeated in one object is an error. Throws JsonSyntaxError.
 */
export function parseJsonSpans(text: string): JsonNode {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;

  const fail = (at: number, problem: string): never => {
    let line = 1;
    let col = 1;
    for (let k = 0; k < at && k < text.length; k++) {
      if (text[k] === '\n') {
        line++;
        col = 1;
      } else col++;
    }
    throw new JsonSyntaxError(line, col, problem);
  };
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const what = (): string => (i >= text.length ? 'the end of the file' : 'an unexpected character');

  const str = (): { start: number; end: number; value: string } => {
    const start = i;
    i++;
    for (;;) {
      if (i >= text.length) fail(start, 'unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c < 0x20) fail(i, 'control character inside a string (escape it)');
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail(i, 'invalid \\u escape');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail(i, 'invalid escape in a string');
      } else i++;
    }
    i++;
    return { start, end: i, value: JSON.parse(text.slice(start, i)) as string };
  };

  const value = (depth: number): JsonNode => {
    if (depth > MAX_DEPTH) fail(i, `nesting deeper than ${MAX_DEPTH}`);
    ws();
    const start = i;
    const c = text[i];
    if (c === '{') {
      i++;
      const members: JsonMember[] = [];
      ws();
      if (text[i] === '}') {
        i++;
        return { kind: 'object', start, end: i, members };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(i, `expected a member name in double quotes, found ${what()}`);
        const k = str();
        if (members.some((m) => m.key === k.value)) fail(k.start, `duplicate member name ${nameForMessage(k.value)} (JSON readers disagree on which one counts)`);
        ws();
        if (text[i] !== ':') fail(i, `expected ':' after a member name, found ${what()}`);
        i++;
        members.push({ key: k.value, keyStart: k.start, keyEnd: k.end, value: value(depth + 1) });
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return { kind: 'object', start, end: i, members };
        }
        fail(i, `expected ',' or '}' in an object, found ${what()}`);
      }
    }
    if (c === '[') {
      i++;
      const items: JsonNode[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return { kind: 'array', start, end: i, items };
      }
      for (;;) {
        items.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return { kind: 'array', start, end: i, items };
        }
        fail(i, `expected ',' or ']' in an array, found ${what()}`);
      }
    }
    if (c === '"') return { kind: 'string', ...str() };
    for (const lit of ['true', 'false', 'null'] as const) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return { kind: lit, start, end: i };
      }
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m !== null && m[0] !== '' && m[0] !== '-') {
      i += m[0].length;
      return { kind: 'number', start, end: i };
    }
    return fail(i, `expected a value, found ${what()}`);
  };

  const root = value(0);
  ws();
  if (i < text.length) fail(i, 'unexpected text after the JSON value');
  return root;
}

/** The member named `key` (names never repeat in a parsed object). */
export function memberOf(obj: JsonObjectNode, key: string): JsonMember | undefined {
  for (let k = obj.members.length - 1; k >= 0; k--) if (obj.members[k]!.key === key) return obj.members[k];
  return undefined;
}

/**
 * Where and why `text` is not valid strict JSON ("line 3, column 9: expected …";
 * repeated member names included), for messages about secret files:
 * JSON.parse's own message may quote the text.
 */
export function jsonProblem(text: string): string | undefined {
  try {
    parseJsonSpans(text);
    return undefined;
  } catch (e) {
    if (e instanceof JsonSyntaxError) return e.message;
    throw e;
  }
}

/**
 * The value of `text` as JSON.parse gives it, after the strict checks of
 * parseJsonSpans (a UTF-8 BOM is skipped, repeated member names are refused).
 * Throws JsonSyntaxError, whose message never quotes the text.
 */
export function parseStrictJson(text: string): unknown {
  parseJsonSpans(text);
  return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
}

