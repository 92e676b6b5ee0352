/**
 * Helm's own template functions (pkg/engine/funcs.go): `include`, `tpl`,
 * `required`, `lookup` (no cluster: an empty map, as `helm template`),
 * `toYaml`/`fromYaml`/`toJson`/`fromJson`, plus sprig's semver and the
 * certificate generators, which return placeholders (the images a chart
 * names never depend on them).
 */
import { parseAllDocuments, parse as parseYaml, stringify } from 'yaml';
import { TemplateFailError } from './errors.js';
import type { TemplateFunc } from './exec.js';
import { semverCompare } from './semver.js';
import { goString, isMap, isNil, sortedKeys, toStr, type GoMap } from './values.js';

/** JSON as Go's encoding/json writes it: map keys sorted, <>& escaped. */
export function goJson(v: unknown, indent = ''): string {
  const norm = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(norm);
    if (isMap(x)) return Object.fromEntries(sortedKeys(x).filter((k) => typeof x[k] !== 'function').map((k) => [k, norm(x[k])]));
    return x === undefined ? null : x;
  };
  return (JSON.stringify(norm(v), null, indent) ?? 'null').replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

/** A multi-line string at the document root as go-yaml writes it: a literal block indented by 2, chomping from its trailing newlines. */
function rootLiteral(v: string): string {
  const trailing = /\n*$/.exec(v)![0].length;
  const chomp = trailing === 0 ? '-' : trailing === 1 ? '' : '+';
  const body = trailing <= 1 ? v.replace(/\n$/, '') : v.slice(0, -1);
  const indicator = /^[ \n]/.test(v) ? '2' : '';
  return `|${indicator}${chomp}\n${body.split('\n').map((l) => (l === '' ? '' : `  ${l}`)).join('\n')}`;
}

/** Helm's toYaml (sigs.k8s.io/yaml): block style, keys sorted, no trailing newline. */
export function toYaml(v: unknown): string {
  if (isNil(v)) return 'null';
  if (typeof v === 'string' && v.includes('\n') && !/[^\S\n]\n|[\t]/.test(v)) return rootLiteral(v);
  const plain = JSON.parse(goJson(v)) as unknown;
  return stringify(plain, { sortMapEntries: true, lineWidth: 0, indentSeq: false, aliasDuplicateObjects: false }).replace(/\n$/, '');
}

function fromYaml(text: string): unknown {
  try {
    const docs = parseAllDocuments(text);
    const first = Array.isArray(docs) ? docs[0] : undefined;
    if (first === undefined) return {};
    if (first.errors.length > 0) throw first.errors[0]!;
    const v = first.toJS({ maxAliasCount: 100 }) as unknown;
    return v ?? {};
  } catch (e) {
    return { Error: `error unmarshaling JSON: ${(e as Error).message.split('\n')[0]}` };
  }
}

const placeholderCert = (what: string): GoMap => ({ Cert: `-----BEGIN CERTIFICATE-----\n(${what} generated at install time)\n-----END CERTIFICATE-----\n`, Key: `-----BEGIN RSA PRIVATE KEY-----\n(${what} generated at install time)\n-----END RSA PRIVATE KEY-----\n` });

function date(fmt: string, d: Date): string {
  // Go's reference-time layout, the common tokens
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return fmt
    .replace(/2006/g, String(d.getUTCFullYear()))
    .replace(/01/g, p(d.getUTCMonth() + 1))
    .replace(/02/g, p(d.getUTCDate()))
    .replace(/15/g, p(d.getUTCHours()))
    .replace(/04/g, p(d.getUTCMinutes()))
    .replace(/05/g, p(d.getUTCSeconds()));
}

export const HELM_FUNCS: ReadonlyArray<[string, TemplateFunc]> = [
  ['include', (a, ctx) => ctx.renderer.execute(toStr(a[0]), a[1], ctx.depth + 1)],
  ['tpl', (a, ctx) => ctx.renderer.executeText(ctx.template, toStr(a[0]), a[1], ctx.depth + 1)],
  [
    'required',
    (a) => {
      const v = a[1];
      if (isNil(v) || (typeof v === 'string' && v === '')) throw new TemplateFailError(toStr(a[0]));
      return v;
    },
  ],
  ['lookup', () => ({})],
  ['toYaml', (a) => toYaml(a[0])],
  ['mustToYaml', (a) => toYaml(a[0])],
  ['toYamlPretty', (a) => stringify(JSON.parse(goJson(a[0])) as unknown, { sortMapEntries: true, lineWidth: 0, indentSeq: true }).replace(/\n$/, '')],
  ['fromYaml', (a) => { const v = fromYaml(toStr(a[0])); return isMap(v) ? v : { Error: 'error unmarshaling JSON: cannot unmarshal into map' }; }],
  ['fromYamlArray', (a) => { const v = fromYaml(toStr(a[0])); return Array.isArray(v) ? v : [`error unmarshaling JSON: cannot unmarshal into array`]; }],
  ['toJson', (a) => goJson(a[0])],
  ['mustToJson', (a) => goJson(a[0])],
  ['toRawJson', (a) => goJson(a[0]).replace(/\\u00(3c|3e|26)/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)))],
  ['toPrettyJson', (a) => goJson(a[0], '  ')],
  ['fromJson', (a) => { try { const v = JSON.parse(toStr(a[0])) as unknown; return isMap(v) ? v : {}; } catch (e) { return { Error: (e as Error).message }; } }],
  ['fromJsonArray', (a) => { try { const v = JSON.parse(toStr(a[0])) as unknown; return Array.isArray(v) ? v : []; } catch (e) { return [(e as Error).message]; } }],
  ['semverCompare', (a) => semverCompare(toStr(a[0]), toStr(a[1]))],
  ['semver', (a) => { const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/.exec(toStr(a[0])); if (!m) throw new Error(`invalid semantic version: ${toStr(a[0])}`); return { Major: Number(m[1]), Minor: Number(m[2] ?? 0), Patch: Number(m[3] ?? 0), Prerelease: m[4] ?? '', Metadata: m[5] ?? '', Original: toStr(a[0]) }; }],
  ['now', () => new Date().toISOString()],
  ['date', (a) => date(toStr(a[0]), isNil(a[1]) || a[1] === '' ? new Date() : new Date(goString(a[1])))],
  ['dateInZone', (a) => date(toStr(a[0]), isNil(a[1]) || a[1] === '' ? new Date() : new Date(goString(a[1])))],
  ['htmlDate', (a) => date('2006-01-02', isNil(a[0]) || a[0] === '' ? new Date() : new Date(goString(a[0])))],
  ['genCA', () => placeholderCert('CA')],
  ['genSelfSignedCert', () => placeholderCert('certificate')],
  ['genSignedCert', () => placeholderCert('certificate')],
  ['genPrivateKey', () => '-----BEGIN RSA PRIVATE KEY-----\n(generated at install time)\n-----END RSA PRIVATE KEY-----\n'],
  ['derivePassword', () => 'placeholder-password'],
  ['htpasswd', (a) => `${toStr(a[0])}:placeholder`],
  ['parseYamlText', (a) => parseYaml(toStr(a[0])) as unknown],
];
