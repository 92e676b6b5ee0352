/**
 * The rest of sprig that charts reach for: URL, path, hash and date helpers,
 * `shuffle`, `wrap`, `chunk`, the `must…` variants (which return errors
 * instead of panicking in Go; here every function already throws) and
 * `toToml` (flat and nested tables of basic values).
 */
import { createHash, randomInt } from 'node:crypto';
import { posix } from 'node:path';
import type { TemplateFunc } from './exec.js';
import { COLLECTION_FUNCS } from './funcs-collections.js';
import { HELM_FUNCS } from './funcs-helm.js';
import { STRING_FUNCS } from './funcs-strings.js';
import { goString, isMap, isNil, sortedKeys, toInt, toStr, type GoMap } from './values.js';

const s = (v: unknown): string => (isNil(v) ? '' : toStr(v));

function urlParse(text: string): GoMap {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new Error(`unable to parse url: ${text}`);
  }
  return { scheme: u.protocol.replace(/:$/, ''), host: u.host, hostname: u.hostname, port: u.port, path: decodeURIComponent(u.pathname), query: u.search.replace(/^\?/, ''), fragment: u.hash.replace(/^#/, ''), userinfo: u.username + (u.password ? `:${u.password}` : ''), opaque: '' };
}

function urlJoin(m: GoMap): string {
  const auth = s(m.userinfo) !== '' ? `${s(m.userinfo)}@` : '';
  const host = s(m.host);
  return `${s(m.scheme) !== '' ? `${s(m.scheme)}:` : ''}${host !== '' || auth !== '' ? `//${auth}${host}` : ''}${s(m.path)}${s(m.query) !== '' ? `?${s(m.query)}` : ''}${s(m.fragment) !== '' ? `#${s(m.fragment)}` : ''}`;
}

function wrap(width: number, text: string, nl = '\n'): string {
  return text
    .split('\n')
    .map((line) => {
      const out: string[] = [];
      let cur = '';
      for (const w of line.split(/\s+/).filter((x) => x !== '')) {
        if (cur !== '' && cur.length + 1 + w.length > width) {
          out.push(cur);
          cur = w;
        } else cur = cur === '' ? w : `${cur} ${w}`;
      }
      out.push(cur);
      return out.join(nl);
    })
    .join('\n');
}

function toml(v: GoMap, prefix = ''): string {
  const basic = (x: unknown): string => (typeof x === 'string' ? JSON.stringify(x) : Array.isArray(x) ? `[${x.map(basic).join(', ')}]` : goString(x));
  const lines: string[] = [];
  const tables: string[] = [];
  for (const k of sortedKeys(v)) {
    const x = v[k];
    if (isMap(x)) tables.push(`\n[${prefix}${k}]\n${toml(x, `${prefix}${k}.`)}`);
    else if (!isNil(x)) lines.push(`${k} = ${basic(x)}`);
  }
  return `${lines.join('\n')}${lines.length > 0 ? '\n' : ''}${tables.join('')}`;
}

function toDate(layoutIgnored: unknown, text: unknown): Date {
  const d = new Date(s(text));
  if (Number.isNaN(d.getTime())) throw new Error(`cannot parse "${s(text)}" as a date`);
  void layoutIgnored;
  return d;
}

const base: Array<[string, TemplateFunc]> = [
  ['shuffle', (a) => [...s(a[0])].sort(() => randomInt(3) - 1).join('')],
  ['urlParse', (a) => urlParse(s(a[0]))],
  ['urlJoin', (a) => urlJoin(isMap(a[0]) ? a[0] : {})],
  ['wrap', (a) => wrap(toInt(a[0]), s(a[1]))],
  ['wrapWith', (a) => wrap(toInt(a[0]), s(a[2]), s(a[1]))],
  ['initials', (a) => s(a[0]).split(/\s+/).filter((w) => w !== '').map((w) => w[0]).join('')],
  ['swapcase', (a) => [...s(a[0])].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('')],
  ['randInt', (a) => randomInt(toInt(a[0]), Math.max(toInt(a[0]) + 1, toInt(a[1])))],
  ['chunk', (a) => { const n = Math.max(1, toInt(a[0])); const l = Array.isArray(a[1]) ? a[1] : []; const out: unknown[][] = []; for (let i = 0; i < l.length; i += n) out.push(l.slice(i, i + n)); return out; }],
  ['tuple', (a) => [...a]],
  ['biggest', (a) => Math.max(...a.map(toInt))],
  ['add1f', (a) => Number(a[0]) + 1],
  ['sha512sum', (a) => createHash('sha512').update(s(a[0])).digest('hex')],
  ['adler32sum', (a) => { let x = 1; let y = 0; for (const b of Buffer.from(s(a[0]))) { x = (x + b) % 65521; y = (y + x) % 65521; } return String(((y << 16) | x) >>> 0); }],
  ['b32dec', (a) => s(a[0])],
  ['regexQuoteMeta', (a) => s(a[0]).replace(/[\\.+*?()|[\]{}^$]/g, '\\$&')],
  ['base', (a) => posix.basename(s(a[0])) || '.'],
  ['dir', (a) => posix.dirname(s(a[0]))],
  ['ext', (a) => posix.extname(s(a[0]))],
  ['clean', (a) => posix.normalize(s(a[0])).replace(/\/$/, '') || '.'],
  ['isAbs', (a) => posix.isAbsolute(s(a[0]))],
  ['toDate', (a) => toDate(a[0], a[1]).toISOString()],
  ['unixEpoch', (a) => String(Math.floor(new Date(s(a[0]) || Date.now()).getTime() / 1000))],
  ['ago', () => '0s'],
  ['duration', (a) => `${toInt(a[0])}s`],
  ['durationRound', (a) => s(a[0])],
  ['dateModify', (a) => s(a[1])],
  ['toToml', (a) => (isMap(a[0]) ? toml(a[0]) : '')],
  ['bcrypt', () => '$2a$10$placeholder.generated.at.install.time'],
  ['encryptAES', () => 'placeholder-encrypted-at-install-time'],
  ['decryptAES', () => ''],
  ['getHostByName', () => ''],
];

/** `mustX` for every X that has no own entry: the same function (errors are thrown either way). */
function mustVariants(): Array<[string, TemplateFunc]> {
  const all = new Map<string, TemplateFunc>([...STRING_FUNCS, ...COLLECTION_FUNCS, ...HELM_FUNCS, ...base]);
  const names = ['first', 'last', 'rest', 'initial', 'prepend', 'uniq', 'without', 'has', 'compact', 'reverse', 'push', 'slice', 'toJson', 'toPrettyJson', 'toRawJson', 'fromJson', 'regexFind', 'regexFindAll', 'regexReplaceAll', 'regexReplaceAllLiteral', 'regexSplit', 'deepCopy', 'toDate', 'dateModify', 'chunk', 'fromYaml'];
  return names.filter((n) => all.has(n) && !all.has(`must${n[0]!.toUpperCase()}${n.slice(1)}`)).map((n) => [`must${n[0]!.toUpperCase()}${n.slice(1)}`, all.get(n)!]);
}

export const MORE_FUNCS: ReadonlyArray<[string, TemplateFunc]> = [...base, ['push', COLLECTION_FUNCS.find(([n]) => n === 'append')![1]], ...mustVariants()];
