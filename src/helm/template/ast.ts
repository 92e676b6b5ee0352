/** The parse tree of a Go template (text/template/parse, the parts Helm charts use). */

export type Operand =
  | { readonly k: 'field'; readonly path: readonly string[] } // `.` is path []
  | { readonly k: 'var'; readonly name: string; readonly path: readonly string[] }
  | { readonly k: 'func'; readonly name: string }
  | { readonly k: 'literal'; readonly value: string | number | boolean }
  | { readonly k: 'nil' }
  | { readonly k: 'sub'; readonly pipe: Pipeline; readonly path: readonly string[] };

export interface Command {
  readonly args: readonly Operand[];
}

export interface Pipeline {
  readonly line: number;
  /** Variables declared (`:=`) or assigned (`=`); two for `range $i, $v :=`. */
  readonly vars: readonly string[];
  readonly assign: boolean;
  readonly cmds: readonly Command[];
}

export type TNode =
  | { readonly k: 'text'; readonly text: string }
  | { readonly k: 'action'; readonly line: number; readonly pipe: Pipeline }
  | ControlNode
  | { readonly k: 'template'; readonly line: number; readonly name: string; readonly pipe?: Pipeline }
  | { readonly k: 'break' | 'continue'; readonly line: number };

/** One parsed template: its body and the templates it defines (`define`, `block`). */
export interface ParsedTemplate {
  readonly name: string;
  readonly body: readonly TNode[];
  readonly defines: ReadonlyMap<string, readonly TNode[]>;
}

export interface ControlNode {
  readonly k: 'if' | 'with' | 'range';
  readonly line: number;
  readonly pipe: Pipeline;
  readonly then: readonly TNode[];
  readonly else?: readonly TNode[];
}
