/**
 * An auth file (Red Hat pull secret, docker config.json, podman auth.json:
 * `{"auths": {KEY: {"auth": base64("user:password"), ...}}, ...}`) as text
 * that is edited in place. Changing one entry splices that entry's bytes
 * only: every other entry, unknown field, key order and the file's layout
 * (compact one-line pull secret, tab- or space-indented auth.json) stay as
 * they were. Keys are matched the way lookups match them (normalizeKey:
 * scheme, `/v1/`, trailing `/` and case of the host do not matter).
 *
 * A document is immutable: each edit returns a new one.
 */
import { AuthFileError, decodeEntry, normalizeKey } from '../transports/registry/auth-file.js';
import { CredentialsError } from './errors.js';
import { memberOf, parseJsonSpans, JsonSyntaxError, type JsonMember, type JsonObjectNode } from '../util/json-spans.js';

export interface AuthEntry {
  /** The key as written in the file. */
  readonly key: string;
  /** The entry's parsed value. */
  readonly value: unknown;
}

export interface EntryStatus {
  readonly key: string;
  /** User name of usable credentials (not a secret; podman --get-login prints it). */
  readonly username?: string;
  /** Why the entry is malformed, naming the file and key (never the secret). */
  readonly problem?: string;
}

/** Fields that hold credentials; everything else in an entry (email, …) is kept when it is replaced. */
const CREDENTIAL_FIELDS = new Set(['auth', 'username', 'password', 'identitytoken', 'registrytoken']);

const EMPTY_FILE = '{\n\t"auths": {}\n}\n';

function splice(text: string, start: number, end: number, insert: string): string {
  return text.slice(0, start) + insert + text.slice(end);
}

/** Leading blanks of the line holding `pos`. */
function lineIndent(text: string, pos: number): string {
  const ls = text.lastIndexOf('\n', pos - 1) + 1;
  return /^[ \t]*/.exec(text.slice(ls))![0];
}

function format(value: unknown, pretty: boolean, indent: string, unit: string): string {
  return pretty ? JSON.stringify(value, null, unit).split('\n').join(`\n${indent}`) : JSON.stringify(value);
}

export class AuthDocument {
  private constructor(
    readonly file: string,
    readonly text: string,
    private readonly root: JsonObjectNode,
  ) {}

  /** Parses `text`; throws CredentialsError naming `file` and the line/column (never quoting the text). */
  static parse(file: string, text: string): AuthDocument {
    let root;
    try {
      root = parseJsonSpans(text);
    } catch (e) {
      if (e instanceof JsonSyntaxError) throw new CredentialsError(`${file}: not valid JSON (${e.message})`);
      throw e;
    }
    if (root.kind !== 'object') throw new CredentialsError(`${file}: expected a JSON object like {"auths": {...}}`);
    const auths = memberOf(root, 'auths');
    if (auths !== undefined && auths.value.kind !== 'object') throw new CredentialsError(`${file}: "auths" must be an object`);
    return new AuthDocument(file, text, root);
  }

  /** A new, empty file (podman's layout: tab-indented). */
  static empty(file: string): AuthDocument {
    return AuthDocument.parse(file, EMPTY_FILE);
  }

  private get auths(): JsonObjectNode | undefined {
    const m = memberOf(this.root, 'auths');
    return m?.value.kind === 'object' ? m.value : undefined;
  }

  /** True for a legacy ~/.dockercfg (registry entries at the top, no "auths"): read, never rewritten. */
  get legacy(): boolean {
    if (this.auths !== undefined) return false;
    return this.root.members.some((m) => m.value.kind === 'object' && m.value.members.some((f) => f.key === 'auth'));
  }

  /** Throws CredentialsError for a file airlock reads but does not rewrite (legacy format). */
  assertWritable(): void {
    if (this.legacy) throw new CredentialsError(`${this.file} is in the legacy ~/.dockercfg format (no "auths"); airlock does not rewrite it: use another file`);
  }

  private valueOf(m: JsonMember): unknown {
    return JSON.parse(this.text.slice(m.value.start, m.value.end));
  }

  /** The entries in file order (a repeated key appears as often as it is written). */
  entries(): AuthEntry[] {
    return (this.auths?.members ?? []).map((m) => ({ key: m.key, value: this.valueOf(m) }));
  }

  /** Each entry's user name, or the reason it is malformed. */
  check(): EntryStatus[] {
    return this.entries().map(({ key, value }) => {
      try {
        const c = decodeEntry(this.file, key, value);
        return c === undefined ? { key } : { key, username: c.username };
      } catch (e) {
        if (e instanceof AuthFileError) return { key, problem: e.message };
        throw e;
      }
    });
  }

  /** Throws CredentialsError with every malformed entry (file and key named). */
  assertValid(): void {
    const problems = this.check().flatMap((s) => (s.problem ? [s.problem] : []));
    if (problems.length > 0) throw new CredentialsError(problems.join('\n'));
  }

  /**
   * The entry whose key means the same as `key`, as lookups see it: the
   * first such entry with credentials, else the first such entry.
   */
  find(key: string): AuthEntry | undefined {
    const want = normalizeKey(key);
    const same = this.entries().filter((e) => normalizeKey(e.key) === want);
    const usable = (e: AuthEntry): boolean => {
      try {
        return decodeEntry(this.file, e.key, e.value) !== undefined;
      } catch {
        return false;
      }
    };
    return same.find(usable) ?? same[0];
  }

  /**
   * Sets `key` to `entry`. An entry with an equivalent key is replaced where
   * it stands (its key spelling becomes `key`; repeats of it are removed);
   * otherwise the entry is appended to "auths", which is created if missing.
   */
  withEntry(key: string, entry: Record<string, unknown>): { doc: AuthDocument; replaced: boolean } {
    this.assertWritable();
    const want = normalizeKey(key);
    let doc = this.reparse(this.text);
    const matching = (): JsonMember[] => (doc.auths?.members ?? []).filter((m) => normalizeKey(m.key) === want);
    while (matching().length > 1) doc = doc.removeMember(doc.auths!, doc.auths!.members.indexOf(matching()[0]!));
    const old = matching()[0];
    if (old !== undefined) {
      const sep = doc.text.slice(old.keyEnd, old.value.start);
      const pretty = doc.text.slice(old.value.start, old.value.end).includes('\n');
      const member = JSON.stringify(key) + sep + format(entry, pretty, lineIndent(doc.text, old.keyStart), doc.unitOf(doc.auths!));
      return { doc: doc.reparse(splice(doc.text, old.keyStart, old.value.end, member)), replaced: true };
    }
    const auths = doc.auths;
    if (auths !== undefined) return { doc: doc.insertMember(auths, key, entry), replaced: false };
    return { doc: doc.insertMember(doc.root, 'auths', { [key]: entry }), replaced: false };
  }

  /** Removes every entry whose key means the same as `key`; `removed` counts them. */
  without(key: string): { doc: AuthDocument; removed: number } {
    const want = normalizeKey(key);
    let doc = this.reparse(this.text);
    let removed = 0;
    for (;;) {
      const auths = doc.auths;
      const i = auths?.members.findIndex((m) => normalizeKey(m.key) === want) ?? -1;
      if (auths === undefined || i < 0) return { doc, removed };
      doc = doc.removeMember(auths, i);
      removed++;
    }
  }

  /** Empties "auths" (other top-level fields stay). */
  withoutAll(): { doc: AuthDocument; removed: number } {
    const auths = this.auths;
    if (auths === undefined || auths.members.length === 0) return { doc: this, removed: 0 };
    return { doc: this.reparse(splice(this.text, auths.start, auths.end, '{}')), removed: auths.members.length };
  }

  /**
   * A new entry's value: the old entry's non-credential fields (email, …),
   * then `auth`, then `email` when given.
   */
  static entryValue(old: unknown, username: string, password: string, email?: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (typeof old === 'object' && old !== null && !Array.isArray(old)) {
      for (const [k, v] of Object.entries(old)) if (!CREDENTIAL_FIELDS.has(k.toLowerCase())) out[k] = v;
    }
    const auth = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
    const { email: oldEmail, ...rest } = out;
    return { auth, ...rest, ...(email !== undefined ? { email } : oldEmail !== undefined ? { email: oldEmail } : {}) };
  }

  private reparse(text: string): AuthDocument {
    return AuthDocument.parse(this.file, text);
  }

  /** One level of indentation as the file writes it (tab when it cannot be told). */
  private unitOf(obj: JsonObjectNode): string {
    const first = obj.members[0] ?? this.root.members[0];
    const container = obj.members[0] !== undefined ? obj : this.root;
    if (first === undefined) return '\t';
    const inner = lineIndent(this.text, first.keyStart);
    const outer = lineIndent(this.text, container.start);
    return inner.length > outer.length && inner.startsWith(outer) ? inner.slice(outer.length) : '\t';
  }

  private insertMember(obj: JsonObjectNode, key: string, value: unknown): AuthDocument {
    const text = this.text;
    const last = obj.members.at(-1);
    if (last === undefined) {
      const pretty = text.slice(this.root.start, this.root.end).includes('\n');
      if (!pretty) return this.reparse(splice(text, obj.start, obj.end, `{${JSON.stringify(key)}:${JSON.stringify(value)}}`));
      const outer = lineIndent(text, obj.start);
      const unit = this.unitOf(obj);
      const inner = outer + unit;
      return this.reparse(splice(text, obj.start, obj.end, `{\n${inner}${JSON.stringify(key)}: ${format(value, true, inner, unit)}\n${outer}}`));
    }
    const prevEnd = obj.members.length > 1 ? obj.members.at(-2)!.value.end : obj.start + 1;
    let lead = text.slice(prevEnd, last.keyStart);
    if (obj.members.length > 1) lead = lead.slice(lead.indexOf(',') + 1);
    const sep = text.slice(last.keyEnd, last.value.start);
    const lastIsPretty = text.slice(last.value.start, last.value.end).includes('\n');
    const scalarOnOwnLine = last.value.kind !== 'object' && last.value.kind !== 'array' && lead.includes('\n');
    const indent = lead.includes('\n') ? lead.slice(lead.lastIndexOf('\n') + 1) : '';
    const member = `,${lead}${JSON.stringify(key)}${sep}${format(value, lastIsPretty || scalarOnOwnLine, indent, this.unitOf(obj))}`;
    return this.reparse(splice(text, last.value.end, last.value.end, member));
  }

  private removeMember(obj: JsonObjectNode, i: number): AuthDocument {
    const ms = obj.members;
    if (ms.length === 1) return this.reparse(splice(this.text, obj.start, obj.end, '{}'));
    if (i > 0) return this.reparse(splice(this.text, ms[i - 1]!.value.end, ms[i]!.value.end, ''));
    return this.reparse(splice(this.text, ms[0]!.keyStart, ms[1]!.keyStart, ''));
  }
}
