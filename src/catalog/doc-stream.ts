/**
 * Splits one catalog file into its documents, as operator-registry reads
 * it: text whose first non-blank character is `{` is a stream of JSON
 * objects (concatenated, whitespace-separated); anything else is a YAML
 * stream (`---` separated; empty documents skipped). Each document comes
 * with the 1-based line it starts on. Malformed text is a CatalogError
 * `FILE:LINE: …` (JSON: strict, a key repeated in one object is refused;
 * YAML: duplicate keys refused, aliases capped).
 */
import { LineCounter, parseAllDocuments } from 'yaml';
import { JsonSyntaxError, parseJsonSpans } from '../util/json-spans.js';
import { CatalogError } from './errors.js';

export interface StreamDoc {
  readonly value: unknown;
  readonly line: number;
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** End offset (exclusive) of the JSON value starting with `{` at `start`, or -1 when it never closes. */
function jsonEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

function jsonStream(text: string, file: string): StreamDoc[] {
  const docs: StreamDoc[] = [];
  let i = 0;
  let line = 1;
  const skipBlank = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) {
      if (text[i] === '\n') line++;
      i++;
    }
  };
  skipBlank();
  while (i < text.length) {
    if (text[i] !== '{') throw new CatalogError(`${file}:${line}: expected a JSON object ("{"), found ${JSON.stringify(text[i])}`);
    const end = jsonEnd(text, i);
    const slice = end < 0 ? text.slice(i).trimEnd() : text.slice(i, end);
    try {
      parseJsonSpans(slice);
    } catch (e) {
      if (e instanceof JsonSyntaxError) throw new CatalogError(`${file}:${line + e.line - 1}: invalid JSON: ${e.problem}`);
      throw e;
    }
    if (end < 0) throw new CatalogError(`${file}:${line}: JSON object never closes (unexpected end of file)`);
    docs.push({ value: JSON.parse(slice), line });
    for (let k = i; k < end; k++) if (text.charCodeAt(k) === 10) line++;
    i = end;
    skipBlank();
  }
  return docs;
}

function yamlStream(text: string, file: string): StreamDoc[] {
  const lineCounter = new LineCounter();
  const docs: StreamDoc[] = [];
  for (const doc of parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true })) {
    const err = doc.errors[0];
    if (err) {
      const line = err.linePos?.[0]?.line ?? lineAt(text, err.pos[0]);
      const msg = (err.message.split('\n')[0] ?? err.message).replace(/ at line \d+, column \d+:?$/, '');
      throw new CatalogError(`${file}:${line}: invalid YAML: ${msg}`);
    }
    if (doc.contents === null) continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      throw new CatalogError(`${file}:${lineCounter.linePos(doc.contents.range[0]).line}: invalid YAML: ${(e as Error).message}`);
    }
    if (value === null || value === undefined) continue;
    docs.push({ value, line: lineCounter.linePos(doc.contents.range[0]).line });
  }
  return docs;
}

/** The documents of one catalog file (`file` is the name used in messages). */
export function parseDocStream(text: string, file: string): StreamDoc[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const first = /\S/.exec(body);
  if (first === null) return [];
  return first[0] === '{' ? jsonStream(body, file) : yamlStream(body, file);
}
