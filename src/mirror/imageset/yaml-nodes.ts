/**
 * Reading a YAML config with positions: one document parsed with the
 * `yaml` package's document API and a LineCounter, and small checks over
 * its nodes that fail with `FILE:LINE: FIELD: what is wrong (what is
 * allowed)`. Unknown keys are errors; keys of sections airlock does not
 * implement yet fail with "not yet supported", naming the section.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair, type YAMLMap } from 'yaml';

export class ImageSetConfigError extends Error {
  readonly code = 'ERR_IMAGESET_CONFIG';
}

export interface MapEntry {
  readonly key: Node;
  readonly value: Node | null;
}

/** A parsed file: its name, document and line counter. */
export class ConfigSource {
  private constructor(
    readonly file: string,
    readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Parses `text` (one YAML document); syntax errors fail with their line. */
  static parse(file: string, text: string): ConfigSource {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true });
    const err = doc.errors[0];
    if (err !== undefined) {
      const line = err.linePos?.[0].line ?? lines.linePos(err.pos[0]).line;
      throw new ImageSetConfigError(`${file}:${line}: not valid YAML: ${err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`);
    }
    return new ConfigSource(file, doc, lines);
  }

  /** `file:line` of a node (the line where it starts). */
  at(node: Node | null | undefined): string {
    const offset = node?.range?.[0];
    return offset === undefined ? `${this.file}:1` : `${this.file}:${this.lines.linePos(offset).line}`;
  }

  fail(node: Node | null | undefined, field: string, message: string): never {
    throw new ImageSetConfigError(`${this.at(node)}: ${field}: ${message}`);
  }

  /**
   * The entries of a mapping, checked: every key a plain string in
   * `allowed` or `unsupported` (the latter fail with "not yet supported").
   */
  map(node: Node | null, field: string, allowed: readonly string[], unsupported: readonly string[] = []): Map<string, MapEntry> {
    if (!isMap(node)) this.fail(node, field, `must be a mapping (with ${allowed.join(', ')})`);
    const out = new Map<string, MapEntry>();
    for (const pair of (node as YAMLMap).items as Pair<Node, Node | null>[]) {
      const key = pair.key;
      if (!isScalar(key) || typeof key.value !== 'string') this.fail(key, field, 'keys must be plain strings');
      const name = key.value as string;
      const path = field === '' ? name : `${field}.${name}`;
      if (unsupported.includes(name)) this.fail(key, path, `not yet supported by airlock (supported here: ${allowed.join(', ')})`);
      if (!allowed.includes(name)) this.fail(key, path, `unknown field (allowed: ${allowed.join(', ')})`);
      out.set(name, { key, value: pair.value ?? null });
    }
    return out;
  }

  /** The items of a sequence (null or absent: none). */
  seq(node: Node | null | undefined, field: string): Node[] {
    if (node === null || node === undefined || (isScalar(node) && node.value === null)) return [];
    if (!isSeq(node)) this.fail(node, field, 'must be a list');
    return node.items as Node[];
  }

  string(node: Node | null | undefined, field: string, what = 'a non-empty string'): string {
    if (!isScalar(node) || typeof node.value !== 'string' || node.value === '') this.fail(node, field, `must be ${what}`);
    return node.value as string;
  }

  optionalString(e: MapEntry | undefined, field: string, what?: string): string | undefined {
    if (e === undefined || (isScalar(e.value) && (e.value.value === null || e.value.value === ''))) return undefined;
    return this.string(e.value ?? e.key, field, what);
  }

  bool(e: MapEntry | undefined, field: string): boolean | undefined {
    if (e === undefined) return undefined;
    if (!isScalar(e.value) || typeof e.value.value !== 'boolean') this.fail(e.value ?? e.key, field, 'must be true or false');
    return e.value.value as boolean;
  }

  positiveInt(e: MapEntry | undefined, field: string): number | undefined {
    if (e === undefined) return undefined;
    const v = isScalar(e.value) ? e.value.value : undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) this.fail(e.value ?? e.key, field, 'must be a positive whole number');
    return v as number;
  }

  /** The node as plain JSON data (for hashing an entry). */
  static json(node: Node | null): unknown {
    return node === null ? null : (node.toJSON() as unknown);
  }
}
