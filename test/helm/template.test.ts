/** The Go-template renderer: outputs compared with what Go's text/template + sprig + Helm print for the same input. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Renderer } from '../../src/helm/template/exec.js';
import { TemplateError } from '../../src/helm/template/errors.js';
import { helmFuncs } from '../../src/helm/template/funcs.js';
import { sprintf } from '../../src/helm/template/printf.js';
import { semverCompare } from '../../src/helm/template/semver.js';

function render(src: string, data: unknown = {}, extra: Record<string, string> = {}): string {
  const r = new Renderer(helmFuncs());
  for (const [n, s] of Object.entries(extra)) r.add(n, s);
  r.add('t', src);
  return r.execute('t', data);
}

describe('go template: actions and whitespace', () => {
  it('prints fields, trims around {{- and -}}, drops comments', () => {
    assert.equal(render('a {{ .x }} b', { x: 1 }), 'a 1 b');
    assert.equal(render('a  \n {{- .x -}} \n  b', { x: 'X' }), 'aXb');
    assert.equal(render('a {{/* note */}}b {{- /* trimmed */ -}} c'), 'a bc');
    assert.equal(render('{{ .missing }}|{{ .m.k }}', { m: {} }), '|');
    assert.equal(render('{{ 3 }} {{ 1.5 }} {{ true }} {{ "s" }} {{ `raw\\n` }} {{ 0x10 }}'), '3 1.5 true s raw\\n 16');
    assert.equal(render('{{ .l }} {{ .m }}', { l: [1, 'a'], m: { b: 2, a: 1 } }), '[1 a] map[a:1 b:2]');
  });

  it('pipelines pass the value as the last argument; parentheses and chained fields', () => {
    assert.equal(render('{{ .x | upper | quote }}', { x: 'ab' }), '"AB"');
    assert.equal(render('{{ (dict "a" (dict "b" "deep")).a.b }}'), 'deep');
    assert.equal(render('{{ printf "%s-%d" .n 3 | trunc 4 }}', { n: 'name' }), 'name');
  });

  it('variables: declare, assign, $ and scope', () => {
    assert.equal(render('{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ $y := 3 }}{{ end }}{{ $x }}{{ $.v }}', { v: 'V' }), '2V');
    assert.throws(() => render('{{ if true }}{{ $y := 3 }}{{ end }}{{ $y }}'), /undefined variable "\$y"/);
  });

  it('if / else if / else, with / else, truthiness of empty values', () => {
    const t = '{{ if .a }}A{{ else if .b }}B{{ else }}C{{ end }}';
    assert.equal(render(t, { a: 1 }), 'A');
    assert.equal(render(t, { a: 0, b: 'x' }), 'B');
    assert.equal(render(t, { a: [], b: {} }), 'C');
    assert.equal(render('{{ with .m }}{{ .k }}{{ else }}none{{ end }}', { m: { k: 'v' } }), 'v');
    assert.equal(render('{{ with .m }}{{ .k }}{{ else }}none{{ end }}', { m: {} }), 'none');
  });

  it('range over lists, maps (sorted keys), ints, with else, break and continue', () => {
    assert.equal(render('{{ range $i, $v := .l }}{{ $i }}={{ $v }};{{ end }}', { l: ['a', 'b'] }), '0=a;1=b;');
    assert.equal(render('{{ range $k, $v := .m }}{{ $k }}={{ $v }};{{ end }}', { m: { zeta: 1, alpha: 2, Beta: 3 } }), 'Beta=3;alpha=2;zeta=1;');
    assert.equal(render('{{ range .m }}{{ . }}{{ end }}', { m: { b: 2, a: 1 } }), '12');
    assert.equal(render('{{ range .l }}x{{ else }}empty{{ end }}', { l: [] }), 'empty');
    assert.equal(render('{{ range 3 }}{{ . }}{{ end }}'), '012');
    assert.equal(render('{{ range .l }}{{ if eq . 2 }}{{ continue }}{{ end }}{{ if eq . 4 }}{{ break }}{{ end }}{{ . }}{{ end }}', { l: [1, 2, 3, 4, 5] }), '13');
  });

  it('define / template / include / block, later definitions win', () => {
    const helpers = '{{- define "n" -}}{{ .Name | lower }}{{- end -}}{{ define "o" }}old{{ end }}';
    assert.equal(render('{{ template "n" . }}/{{ include "n" . | upper }}', { Name: 'Web' }, { h: helpers }), 'web/WEB');
    assert.equal(render('{{ block "b" . }}default {{ .x }}{{ end }}', { x: 1 }), 'default 1');
    assert.equal(render('{{ include "o" . }}', {}, { h: helpers, h2: '{{ define "o" }}new{{ end }}' }), 'new');
    assert.throws(() => render('{{ include "nope" . }}'), /no such template "nope"/);
  });

  it('default, required, ternary, coalesce, empty', () => {
    assert.equal(render('{{ .a | default "d" }} {{ .b | default "d" }} {{ default 5 .c }}', { a: '', b: 'set', c: 0 }), 'd set 5');
    assert.equal(render('{{ coalesce .a .b "c" }} {{ ternary "y" "n" true }} {{ empty .l }}', { a: '', b: 'B', l: [] }), 'B y true');
    assert.throws(() => render('{{ required "image.tag is required" .image.tag }}', { image: {} }), (e: unknown) => e instanceof TemplateError && /t:1: error calling required: image.tag is required/.test(e.message));
  });

  it('toYaml + nindent + tpl render nested values as Helm does', () => {
    const data = { resources: { limits: { memory: '128Mi', cpu: 1 }, list: ['a', 'b'] }, tplValue: '{{ .name }}-suffix', name: 'app' };
    assert.equal(render('resources:{{- toYaml .resources | nindent 2 }}', data), 'resources:\n  limits:\n    cpu: 1\n    memory: 128Mi\n  list:\n  - a\n  - b');
    assert.equal(render('{{ tpl .tplValue . }}', data), 'app-suffix');
    assert.equal(render('{{ toYaml .x }}|{{ toYaml .e }}|{{ toJson .m }}', { e: {}, m: { b: '<', a: 1 } }), 'null|{}|{"a":1,"b":"\\u003c"}');
    assert.equal(render('{{ indent 2 "a\\nb" }}'), '  a\n  b');
  });

  it('string functions', () => {
    assert.equal(render('{{ trim "  x " }}|{{ trimSuffix "-" "a-" }}|{{ trimPrefix "v" "v1.2" }}|{{ trimAll "$" "$5$" }}'), 'x|a|1.2|5');
    assert.equal(render('{{ upper "a" }}{{ lower "B" }}|{{ replace "+" "_" "1+2+3" }}|{{ contains "b" "abc" }}|{{ hasPrefix "a" "abc" }}|{{ title "hello world" }}'), 'aB|1_2_3|true|true|Hello World'.replace('aB', 'Ab'));
    assert.equal(render('{{ quote "a" 1 }}|{{ squote "x" }}|{{ cat "a" nil "b" }}|{{ join "," (list 1 "b") }}|{{ (split ":" "a:b")._1 }}'), '"a" "1"|\'x\'|a b|1,b|b');
    assert.equal(render('{{ printf "%s:%v:%d:%q:%05.1f:%x:%t:%%" "s" (list 1) 42 "q" 3.14159 255 true }}'), 's:[1]:42:"q":003.1:ff:true:%');
    assert.equal(render('{{ regexReplaceAll "(a+)" "baaac" "<${1}>" }}|{{ regexMatch "^v[0-9]" "v1" }}|{{ b64enc "hi" }}'), 'b<aaa>c|true|aGk=');
  });

  it('dicts and lists: dict, hasKey, merge, mergeOverwrite, keys, pluck, list ops', () => {
    assert.equal(render('{{ $d := dict "a" 1 "b" (dict "c" 2) }}{{ hasKey $d "a" }} {{ hasKey $d "z" }} {{ keys $d | sortAlpha | join "," }}'), 'true false a,b');
    assert.equal(render('{{ $m := merge (dict "a" 1 "n" (dict "x" 1)) (dict "a" 2 "b" 3 "n" (dict "y" 2)) }}{{ toJson $m }}'), '{"a":1,"b":3,"n":{"x":1,"y":2}}');
    assert.equal(render('{{ toJson (mergeOverwrite (dict "a" 1 "k" "keep") (dict "a" 2 "k" "")) }}'), '{"a":2,"k":"keep"}');
    assert.equal(render('{{ $l := list 3 1 2 }}{{ first $l }}{{ last $l }}{{ len (append $l 4) }}{{ has 2 $l }}{{ uniq (list 1 1 2) }}{{ without $l 1 }}'), '324true[1 2][3 2]');
    assert.equal(render('{{ index .m "k-1" }} {{ index .l 1 }} {{ set (dict) "a" "b" | toJson }}', { m: { 'k-1': 'v' }, l: [0, 9] }), 'v 9 {"a":"b"}');
  });

  it('comparisons and boolean logic (and/or short-circuit and return operands)', () => {
    assert.equal(render('{{ eq 1 1 }} {{ eq "a" "b" "a" }} {{ ne 1 2 }} {{ lt 1 2 }} {{ ge 2 2 }} {{ not "" }}'), 'true true true true true true');
    assert.equal(render('{{ or .a "fallback" }} {{ and 1 "last" }} {{ and .a (index .a 0) }}', { a: null }), 'fallback last <nil>'.replace(' <nil>', ' '));
    assert.throws(() => render('{{ eq "1" 1 }}'), /incompatible types for comparison/);
  });

  it('method-like values: .Capabilities.APIVersions.Has, .Files.Get', () => {
    const data = { Capabilities: { APIVersions: { Has: (v: string) => v === 'apps/v1' } }, Files: { Get: (n: string) => `content of ${n}` } };
    assert.equal(render('{{ .Capabilities.APIVersions.Has "apps/v1" }} {{ .Files.Get "a.txt" }}', data), 'true content of a.txt');
    assert.equal(render('{{ .k }} {{ .k.Minor }}', { k: { Minor: '31', String: () => 'v1.31.0' } }), 'v1.31.0 31', 'a Stringer prints through String()');
  });

  it('errors name the template and line', () => {
    assert.throws(() => render('ok\n{{ nosuchfunc . }}'), (e: unknown) => e instanceof TemplateError && e.message === 't:2: function "nosuchfunc" not defined');
    assert.throws(() => render('{{ if .a }}x'), /t:1: unexpected EOF/);
    assert.throws(() => render('a\nb\n{{ .a.b.c }}', { a: {} }), (e: unknown) => e instanceof TemplateError && e.message === 't:3: nil pointer evaluating interface {}.c');
    assert.equal(render('[{{ ((.a).b).c | default 0 }}] [{{ $x := .missing }}{{ $x.y }}]', { a: {} }), '[0] []', 'nil from a pipeline or variable has nil fields (Go invalid value)');
    assert.throws(() => render('{{ len (until 100000000) }}'), /t:1: error calling until: until: 100000000 items is more than 1000000/);
    assert.throws(() => render('{{ range 100000000 }}x{{ end }}'), /t:1: range over 100000000: more than 1000000 iterations/);
    assert.throws(() => render('{{ repeat 100000000 "abcdefgh" }}'), /repeat: the result is longer than/);
    assert.throws(() => render('{{ fail "custom stop" }}'), /t:1: error calling fail: custom stop/);
    assert.throws(() => render('{{ "unterminated }}'), /t:1: unclosed action/);
  });

  it('printf edge cases and semver constraints', () => {
    assert.equal(sprintf('%s %d', ['a']), 'a %!d(MISSING)');
    assert.equal(sprintf('%-4s|%4d', ['ab', 7]), 'ab  |   7');
    assert.equal(semverCompare('>=1.19-0', 'v1.31.0'), true);
    assert.equal(semverCompare('<1.19', '1.31.0'), false);
    assert.equal(semverCompare('^1.2.0', '1.9.9'), true);
    assert.equal(semverCompare('~1.2.0', '1.3.0'), false);
    assert.equal(semverCompare('>= 1.2, < 2.0 || 3.x', '3.4.0'), true);
  });
});
