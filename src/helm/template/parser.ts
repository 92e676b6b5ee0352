/**
 * The parser of Go's text/template: actions, pipelines with variable
 * declarations, `if`/`else if`/`with`/`else with`/`range`/`break`/`continue`,
 * `define`, `template`, `block`. Function names are checked against the
 * function map while parsing, as Go does (`function "x" not defined`).
 */
import type { Command, Operand, ParsedTemplate, Pipeline, TNode } from './ast.js';
import { TemplateError } from './errors.js';
import { lex, type Segment, type Token } from './lexer.js';

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);

type Stop = { readonly kind: 'end' } | { readonly kind: 'else'; readonly tokens: readonly Token[]; readonly line: number } | { readonly kind: 'eof' };

/** Go's number literals: decimal, hex, octal, binary (with `_`), floats. */
export function parseNumber(text: string): number | undefined {
  const t = text.replace(/_/g, '');
  const sign = t.startsWith('-') ? -1 : 1;
  const body = t.replace(/^[+-]/, '');
  if (/^0[xX][0-9a-fA-F]+$/.test(body)) return sign * parseInt(body.slice(2), 16);
  if (/^0[bB][01]+$/.test(body)) return sign * parseInt(body.slice(2), 2);
  if (/^0[oO]?[0-7]+$/.test(body)) return sign * parseInt(body.replace(/^0[oO]?/, ''), 8);
  if (/^([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(body)) return sign * Number(body);
  return undefined;
}

class Parser {
  private pos = 0;
  readonly defines = new Map<string, readonly TNode[]>();

  constructor(
    private readonly name: string,
    private readonly segs: readonly Segment[],
    private readonly funcs: ReadonlySet<string>,
  ) {}

  fail(line: number, why: string): never {
    throw new TemplateError(this.name, line, why);
  }

  /** Nodes up to `{{end}}`, `{{else …}}` or the end of input. */
  list(inside: string | undefined): { nodes: TNode[]; stop: Stop } {
    const nodes: TNode[] = [];
    while (this.pos < this.segs.length) {
      const s = this.segs[this.pos++]!;
      if (s.kind === 'text') {
        nodes.push({ k: 'text', text: s.text });
        continue;
      }
      const [first, ...rest] = s.tokens;
      if (first === undefined) this.fail(s.line, 'missing value for command');
      if (first.kind !== 'identifier' || !KEYWORDS.has(first.value)) {
        nodes.push({ k: 'action', line: s.line, pipe: this.pipeline(s.tokens, s.line, true) });
        continue;
      }
      switch (first.value) {
        case 'end':
          if (inside === undefined) this.fail(s.line, 'unexpected {{end}}');
          if (rest.length > 0) this.fail(s.line, 'unexpected tokens after end');
          return { nodes, stop: { kind: 'end' } };
        case 'else':
          if (inside === undefined || inside === 'define') this.fail(s.line, 'unexpected {{else}}');
          return { nodes, stop: { kind: 'else', tokens: rest, line: s.line } };
        case 'if':
        case 'with':
        case 'range':
          nodes.push(this.control(first.value, rest, s.line));
          break;
        case 'break':
        case 'continue':
          if (!this.inRange) this.fail(s.line, `{{${first.value}}} outside {{range}}`);
          nodes.push({ k: first.value, line: s.line });
          break;
        case 'template':
        case 'block': {
          const [nameTok, ...args] = rest;
          if (nameTok?.kind !== 'string') this.fail(s.line, `unexpected ${nameTok ? `"${nameTok.value}"` : 'end'} in ${first.value} clause (expected a quoted name)`);
          const pipe = args.length > 0 ? this.pipeline(args, s.line, false) : undefined;
          if (first.value === 'block') {
            const body = this.list('define');
            if (body.stop.kind !== 'end') this.fail(s.line, `unexpected EOF in block "${nameTok.value}"`);
            this.defines.set(nameTok.value, body.nodes);
          }
          nodes.push({ k: 'template', line: s.line, name: nameTok.value, ...(pipe ? { pipe } : {}) });
          break;
        }
        case 'define': {
          const [nameTok, ...more] = rest;
          if (nameTok?.kind !== 'string' || more.length > 0) this.fail(s.line, 'define clause needs one quoted name');
          if (inside !== undefined) this.fail(s.line, 'define inside another action');
          const body = this.list('define');
          if (body.stop.kind !== 'end') this.fail(s.line, `unexpected EOF in define "${nameTok.value}"`);
          this.defines.set(nameTok.value, body.nodes);
          break;
        }
      }
    }
    if (inside !== undefined) this.fail(this.segs[this.segs.length - 1]?.line ?? 1, `unexpected EOF (an {{${inside}}} has no {{end}})`);
    return { nodes, stop: { kind: 'eof' } };
  }

  private inRange = false;

  private control(kind: 'if' | 'with' | 'range', tokens: readonly Token[], line: number): TNode {
    if (tokens.length === 0) this.fail(line, `missing value for ${kind}`);
    const pipe = this.pipeline(tokens, line, kind !== 'if' || true, kind === 'range');
    const saved = this.inRange;
    if (kind === 'range') this.inRange = true;
    const then = this.list(kind);
    this.inRange = saved;
    if (then.stop.kind === 'end') return { k: kind, line, pipe, then: then.nodes };
    if (then.stop.kind !== 'else') this.fail(line, `unexpected EOF in ${kind}`);
    const e = then.stop;
    const chained = e.tokens[0];
    if (chained?.kind === 'identifier' && (chained.value === 'if' || chained.value === 'with') && kind !== 'range') {
      // `{{else if …}}` / `{{else with …}}`: a nested control sharing this {{end}}
      return { k: kind, line, pipe, then: then.nodes, else: [this.control(chained.value, e.tokens.slice(1), e.line)] };
    }
    if (e.tokens.length > 0) this.fail(e.line, 'unexpected tokens after else');
    if (kind === 'range') this.inRange = saved;
    const other = this.list(kind);
    if (other.stop.kind !== 'end') this.fail(e.line, `expected end; found ${other.stop.kind === 'else' ? 'else' : 'EOF'}`);
    return { k: kind, line, pipe, then: then.nodes, else: other.nodes };
  }

  /** A pipeline: optional declarations, then commands separated by `|`. */
  pipeline(tokens: readonly Token[], line: number, allowDecl: boolean, range = false): Pipeline {
    let i = 0;
    const vars: string[] = [];
    let assign = false;
    if (allowDecl && tokens[0]?.kind === 'variable') {
      if (tokens[1]?.kind === 'declare' || tokens[1]?.kind === 'assign') {
        vars.push(tokens[0].value);
        assign = tokens[1].kind === 'assign';
        i = 2;
      } else if (range && tokens[1]?.kind === 'comma' && tokens[2]?.kind === 'variable' && (tokens[3]?.kind === 'declare' || tokens[3]?.kind === 'assign')) {
        vars.push(tokens[0].value, tokens[2].value);
        assign = tokens[3].kind === 'assign';
        i = 4;
      }
    }
    const cmds: Command[] = [];
    const state = { i };
    for (;;) {
      const args = this.operands(tokens, state, line);
      if (args.length === 0) this.fail(line, 'missing command in pipeline');
      cmds.push({ args });
      const t = tokens[state.i];
      if (t === undefined) break;
      if (t.kind === 'pipe') {
        state.i++;
        continue;
      }
      this.fail(t.line, `unexpected "${t.value}" in operand`);
    }
    for (const c of cmds.slice(1)) {
      const f = c.args[0]!;
      if (f.k === 'literal' || f.k === 'nil') this.fail(line, 'non executable command in pipeline stage 2');
    }
    return { line, vars, assign, cmds };
  }

  private operands(tokens: readonly Token[], st: { i: number }, line: number): Operand[] {
    const out: Operand[] = [];
    while (st.i < tokens.length) {
      const t = tokens[st.i]!;
      if (t.kind === 'pipe' || t.kind === 'rparen') break;
      out.push(this.operand(tokens, st, line));
    }
    return out;
  }

  private chain(tokens: readonly Token[], st: { i: number }): string[] {
    const path: string[] = [];
    while (tokens[st.i]?.kind === 'field' && tokens[st.i]!.chained) path.push(tokens[st.i++]!.value);
    return path;
  }

  private operand(tokens: readonly Token[], st: { i: number }, line: number): Operand {
    const t = tokens[st.i++]!;
    switch (t.kind) {
      case 'field':
        return { k: 'field', path: t.value === '' ? [] : [t.value, ...this.chain(tokens, st)] };
      case 'variable':
        return { k: 'var', name: t.value, path: this.chain(tokens, st) };
      case 'identifier':
        if (KEYWORDS.has(t.value)) this.fail(t.line, `unexpected <${t.value}> in command`);
        if (!this.funcs.has(t.value)) this.fail(t.line, `function "${t.value}" not defined`);
        return { k: 'func', name: t.value };
      case 'string':
        return { k: 'literal', value: t.value };
      case 'bool':
        return { k: 'literal', value: t.value === 'true' };
      case 'nil':
        return { k: 'nil' };
      case 'char':
        return { k: 'literal', value: Number(t.value) };
      case 'number': {
        const n = parseNumber(t.value);
        if (n === undefined) this.fail(t.line, `bad number syntax: "${t.value}"`);
        return { k: 'literal', value: n };
      }
      case 'lparen': {
        let depth = 1;
        let j = st.i;
        for (; j < tokens.length; j++) {
          if (tokens[j]!.kind === 'lparen') depth++;
          if (tokens[j]!.kind === 'rparen' && --depth === 0) break;
        }
        if (j >= tokens.length) this.fail(t.line, 'unclosed left paren');
        const pipe = this.pipeline(tokens.slice(st.i, j), line, true);
        st.i = j + 1;
        return { k: 'sub', pipe, path: this.chain(tokens, st) };
      }
      default:
        this.fail(t.line, `unexpected "${t.value}" in operand`);
    }
  }
}

/** Parses template `name` from `src`; `funcs` are the function names it may call. */
export function parseTemplate(name: string, src: string, funcs: ReadonlySet<string>): ParsedTemplate {
  const p = new Parser(name, lex(name, src), funcs);
  const { nodes } = p.list(undefined);
  return { name, body: nodes, defines: p.defines };
}
