/**
 * The evaluator of parsed Go templates: one Renderer holds a set of named
 * templates (every `define` of every file, later definitions replacing
 * earlier ones, as Go's AddParseTree does) and the function map, and
 * executes a template on data. Missing map keys are nil (Helm's
 * `missingkey=zero`); a field of nil is Go's "nil pointer evaluating"
 * error; every error carries the template name and line.
 */
import type { Command, ControlNode, Operand, Pipeline, TNode } from './ast.js';
import { TemplateError, TemplateFailError } from './errors.js';
import { parseTemplate } from './parser.js';
import { actionText, goString, hasOwn, isMap, isNil, isTrue, MAX_ITEMS, MAX_STRING, sortedKeys, typeOf } from './values.js';

/** What a function sees besides its arguments. */
export interface CallContext {
  readonly renderer: Renderer;
  /** The template being executed (for `tpl`'s name). */
  readonly template: string;
  readonly depth: number;
}

export type TemplateFunc = (args: unknown[], ctx: CallContext) => unknown;
export type FuncMap = ReadonlyMap<string, TemplateFunc>;

/** Names the evaluator itself handles (lazy arguments). */
const LAZY = new Set(['and', 'or']);
const MAX_DEPTH = 1000;

class Break {}
class Continue {}
const BREAK = new Break();
const CONTINUE = new Continue();

interface Frame {
  readonly name: string;
  readonly vars: Array<{ name: string; value: unknown }>;
  readonly depth: number;
}

export class Renderer {
  private readonly templates = new Map<string, { file: string; body: readonly TNode[] }>();
  private readonly names: Set<string>;

  constructor(readonly funcs: FuncMap) {
    this.names = new Set([...funcs.keys(), ...LAZY]);
  }

  /** Parses `src` as template `name`; its `define`s join the set. Returns the body. Throws TemplateError. */
  add(name: string, src: string): readonly TNode[] {
    const t = parseTemplate(name, src, this.names);
    for (const [n, body] of t.defines) this.templates.set(n, { file: name, body });
    this.templates.set(name, { file: name, body: t.body });
    return t.body;
  }

  has(name: string): boolean {
    return this.templates.has(name);
  }

  /** Executes the named template on `data`. */
  execute(name: string, data: unknown, depth = 0): string {
    const t = this.templates.get(name);
    if (t === undefined) throw new TemplateError(name, 0, `no such template "${name}"`);
    if (depth > MAX_DEPTH) throw new TemplateError(t.file, 0, `rendering template has a nested reference name: ${name}: unable to execute template`);
    const out: string[] = [];
    this.list(t.body, data, { name: t.file, vars: [{ name: '$', value: data }], depth }, out);
    return bounded(t.file, out.join(''));
  }

  /** Parses and executes `src` once (sprig's `tpl`), its defines joining the set. */
  executeText(name: string, src: string, data: unknown, depth: number): string {
    const t = parseTemplate(name, src, this.names);
    for (const [n, body] of t.defines) this.templates.set(n, { file: name, body });
    const out: string[] = [];
    this.list(t.body, data, { name, vars: [{ name: '$', value: data }], depth }, out);
    return out.join('');
  }

  private list(nodes: readonly TNode[], dot: unknown, f: Frame, out: string[]): void {
    for (const n of nodes) this.node(n, dot, f, out);
  }

  private scoped(nodes: readonly TNode[], dot: unknown, f: Frame, out: string[]): void {
    const mark = f.vars.length;
    try {
      this.list(nodes, dot, f, out);
    } finally {
      f.vars.length = mark;
    }
  }

  private node(n: TNode, dot: unknown, f: Frame, out: string[]): void {
    switch (n.k) {
      case 'text':
        out.push(n.text);
        return;
      case 'action': {
        const v = this.pipeline(n.pipe, dot, f);
        if (n.pipe.vars.length === 0) out.push(actionText(v));
        return;
      }
      case 'if':
      case 'with': {
        const mark = f.vars.length;
        const v = this.pipeline(n.pipe, dot, f);
        try {
          if (isTrue(v)) this.scoped(n.then, n.k === 'with' ? v : dot, f, out);
          else if (n.else) this.scoped(n.else, dot, f, out);
        } finally {
          f.vars.length = mark;
        }
        return;
      }
      case 'range':
        this.range(n, dot, f, out);
        return;
      case 'template': {
        const data = n.pipe ? this.pipeline(n.pipe, dot, f) : undefined;
        if (!this.templates.has(n.name)) throw new TemplateError(f.name, n.line, `template: no template "${n.name}" associated with template`);
        out.push(this.execute(n.name, data, f.depth + 1));
        return;
      }
      case 'break':
        throw BREAK;
      case 'continue':
        throw CONTINUE;
    }
  }

  private range(n: ControlNode, dot: unknown, f: Frame, out: string[]): void {
    const mark = f.vars.length;
    const decl = n.pipe.vars;
    const v = this.pipeline({ ...n.pipe, vars: [] }, dot, f);
    let entries: Array<[unknown, unknown]>;
    if (isNil(v)) entries = [];
    else if (Array.isArray(v)) entries = v.map((x, i) => [i, x]);
    else if (isMap(v)) entries = sortedKeys(v).map((k) => [k, v[k]]);
    else if (typeof v === 'number' && Number.isInteger(v)) {
      if (v > MAX_ITEMS) throw new TemplateError(f.name, n.line, `range over ${v}: more than ${MAX_ITEMS} iterations`);
      entries = Array.from({ length: Math.max(0, v) }, (_x, i) => [i, i]);
    }
    else if (typeof v === 'string' && v === '') entries = [];
    else throw new TemplateError(f.name, n.line, `range can't iterate over ${goString(v)}`);
    try {
      if (entries.length === 0) {
        if (n.else) this.scoped(n.else, dot, f, out);
        return;
      }
      for (const [k, x] of entries) {
        const m = f.vars.length;
        if (decl.length === 1) this.setVar(f, decl[0]!, x, n.pipe.assign, n.line);
        if (decl.length === 2) {
          this.setVar(f, decl[0]!, k, n.pipe.assign, n.line);
          this.setVar(f, decl[1]!, x, n.pipe.assign, n.line);
        }
        try {
          this.scoped(n.then, x, f, out);
        } catch (e) {
          if (e === BREAK) break;
          if (e !== CONTINUE) throw e;
        } finally {
          f.vars.length = m;
        }
      }
    } finally {
      f.vars.length = mark;
    }
  }

  private setVar(f: Frame, name: string, value: unknown, assign: boolean, line: number): void {
    if (!assign) {
      f.vars.push({ name, value });
      return;
    }
    for (let i = f.vars.length - 1; i >= 0; i--) {
      if (f.vars[i]!.name === name) {
        f.vars[i]!.value = value;
        return;
      }
    }
    throw new TemplateError(f.name, line, `undefined variable: ${name}`);
  }

  private pipeline(p: Pipeline, dot: unknown, f: Frame): unknown {
    let v: unknown;
    let piped = false;
    for (const c of p.cmds) {
      v = this.command(c, dot, f, p.line, piped ? { value: v } : undefined);
      piped = true;
    }
    for (const name of p.vars) this.setVar(f, name, v, p.assign, p.line);
    return v;
  }

  private command(c: Command, dot: unknown, f: Frame, line: number, piped: { value: unknown } | undefined): unknown {
    const [head, ...rest] = c.args;
    if (head === undefined) throw new TemplateError(f.name, line, 'empty command');
    if (head.k === 'func') {
      const ev = (o: Operand): unknown => this.operand(o, dot, f, line);
      if (LAZY.has(head.name)) {
        const thunks: Array<() => unknown> = rest.map((o) => () => ev(o));
        if (piped) thunks.push(() => piped.value);
        if (thunks.length === 0) throw new TemplateError(f.name, line, `wrong number of args for ${head.name}: want at least 1 got 0`);
        let last: unknown;
        for (const t of thunks) {
          last = t();
          if (head.name === 'and' ? !isTrue(last) : isTrue(last)) return last;
        }
        return last;
      }
      const args = rest.map(ev);
      if (piped) args.push(piped.value);
      return this.call(head.name, args, f, line);
    }
    const hasArgs = rest.length > 0 || piped !== undefined;
    if (head.k === 'field' || head.k === 'var') {
      const base = head.k === 'field' ? dot : this.lookupVar(f, head.name, line);
      const path = head.path;
      if (!hasArgs || path.length === 0) {
        if (hasArgs) throw new TemplateError(f.name, line, `can't give argument to non-function ${head.k === 'var' ? head.name : '.'}`);
        return this.walk(base, path, f, line, false);
      }
      const recv = this.walk(base, path.slice(0, -1), f, line, false);
      const m = this.field(recv, path[path.length - 1]!, f, line, true, path.length === 1);
      if (typeof m !== 'function') throw new TemplateError(f.name, line, `can't give argument to non-function .${path.join('.')}`);
      const args = rest.map((o) => this.operand(o, dot, f, line));
      if (piped) args.push(piped.value);
      return this.invoke(`.${path.join('.')}`, () => (m as (...a: unknown[]) => unknown)(...args), f, line);
    }
    if (hasArgs) throw new TemplateError(f.name, line, `can't give argument to non-function ${describe(head)}`);
    return this.operand(head, dot, f, line);
  }

  private call(name: string, args: unknown[], f: Frame, line: number): unknown {
    const fn = this.funcs.get(name);
    if (fn === undefined) throw new TemplateError(f.name, line, `function "${name}" not defined`);
    return this.invoke(name, () => fn(args, { renderer: this, template: f.name, depth: f.depth }), f, line);
  }

  private invoke(name: string, run: () => unknown, f: Frame, line: number): unknown {
    try {
      return run();
    } catch (e) {
      if (e instanceof TemplateError || e === BREAK || e === CONTINUE) throw e;
      if (e instanceof TemplateFailError) throw new TemplateError(f.name, line, `error calling ${name}: ${e.message}`);
      throw new TemplateError(f.name, line, `error calling ${name}: ${(e as Error).message}`);
    }
  }

  private operand(o: Operand, dot: unknown, f: Frame, line: number): unknown {
    switch (o.k) {
      case 'literal':
        return o.value;
      case 'nil':
        return null;
      case 'field':
        return this.walk(dot, o.path, f, line, false);
      case 'var':
        return this.walk(this.lookupVar(f, o.name, line), o.path, f, line, false);
      case 'func':
        return this.call(o.name, [], f, line);
      case 'sub':
        return this.walk(this.pipeline(o.pipe, dot, f), o.path, f, line, false);
    }
  }

  private lookupVar(f: Frame, name: string, line: number): unknown {
    for (let i = f.vars.length - 1; i >= 0; i--) if (f.vars[i]!.name === name) return f.vars[i]!.value;
    throw new TemplateError(f.name, line, `undefined variable "${name}"`);
  }

  private walk(v: unknown, path: readonly string[], f: Frame, line: number, keepMethod: boolean): unknown {
    let cur = v;
    for (const [i, p] of path.entries()) cur = this.field(cur, p, f, line, keepMethod && i === path.length - 1, i === 0);
    return cur;
  }

  /**
   * `.name` of `v`: a map key (nil when absent), or a method called without
   * arguments unless `keepMethod`. As in Go, nil met inside a field chain
   * (`.a.b` with `.a` nil) is an error, but nil that a pipeline, variable or
   * dot produced (`(.a).b`, `$x.b`) is Go's invalid value, whose fields are
   * nil: the `((.Values.a).b)` idiom charts use for optional values.
   */
  private field(v: unknown, name: string, f: Frame, line: number, keepMethod: boolean, first: boolean): unknown {
    if (isNil(v)) {
      if (first) return undefined;
      throw new TemplateError(f.name, line, `nil pointer evaluating interface {}.${name}`);
    }
    if (isMap(v) && typeof v !== 'function') {
      const x = hasOwn(v, name) ? v[name] : undefined;
      if (typeof x === 'function' && !keepMethod) return this.invoke(`.${name}`, () => (x as () => unknown)(), f, line);
      return x;
    }
    throw new TemplateError(f.name, line, `can't evaluate field ${name} in type ${typeOf(v)}`);
  }
}

function bounded(name: string, text: string): string {
  if (text.length > MAX_STRING) throw new TemplateError(name, 0, `the output is longer than ${MAX_STRING} characters`);
  return text;
}

function describe(o: Operand): string {
  switch (o.k) {
    case 'literal':
      return typeof o.value === 'string' ? JSON.stringify(o.value) : String(o.value);
    case 'nil':
      return 'nil';
    default:
      return o.k;
  }
}
