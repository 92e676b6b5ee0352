/**
 * A strict parser of the TOML subset airlock writes (registries.conf
 * drop-ins, containerd hosts.toml): `# comments`, `[table]` and
 * `[[array.of.tables]]` headers with bare or "quoted" keys, and
 * `key = value` with basic strings, booleans, integers and flat arrays of
 * strings. Anything else, a duplicate key or a key redefining a table throws
 * with the line number: a file that parses here is plain TOML.
 */
type Value = string | number | boolean | string[] | Table | Table[];
export interface Table {
  [k: string]: Value;
}

const BARE = /^[A-Za-z0-9_-]+$/;

function parseString(s: string, line: number): [string, string] {
  if (!s.startsWith('"')) throw new Error(`line ${line}: expected a string`);
  let i = 1;
  let out = '';
  while (i < s.length && s[i] !== '"') {
    if (s[i] === '\\') {
      const c = s[i + 1];
      const map: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' };
      if (c === 'u') {
        out += String.fromCharCode(parseInt(s.slice(i + 2, i + 6), 16));
        i += 6;
        continue;
      }
      if (c === undefined || map[c] === undefined) throw new Error(`line ${line}: bad escape`);
      out += map[c];
      i += 2;
      continue;
    }
    if (s.charCodeAt(i) < 0x20) throw new Error(`line ${line}: control character in a string`);
    out += s[i];
    i++;
  }
  if (s[i] !== '"') throw new Error(`line ${line}: unterminated string`);
  return [out, s.slice(i + 1)];
}

function parseKeyPath(s: string, line: number): string[] {
  const keys: string[] = [];
  let rest = s.trim();
  for (;;) {
    let k: string;
    if (rest.startsWith('"')) [k, rest] = parseString(rest, line);
    else {
      const m = /^[A-Za-z0-9_-]+/.exec(rest);
      if (!m) throw new Error(`line ${line}: bad key "${rest}"`);
      k = m[0];
      rest = rest.slice(k.length);
    }
    keys.push(k);
    rest = rest.trim();
    if (rest === '') return keys;
    if (!rest.startsWith('.')) throw new Error(`line ${line}: bad key path`);
    rest = rest.slice(1).trim();
  }
}

function parseValue(s: string, line: number): Value {
  const t = s.trim();
  if (t === 'true' || t === 'false') return t === 'true';
  if (/^-?\d+$/.test(t)) return Number(t);
  if (t.startsWith('"')) {
    const [v, rest] = parseString(t, line);
    if (rest.trim() !== '' && !rest.trim().startsWith('#')) throw new Error(`line ${line}: text after a string`);
    return v;
  }
  if (t.startsWith('[')) {
    const out: string[] = [];
    let rest = t.slice(1).trim();
    while (!rest.startsWith(']')) {
      const [v, r] = parseString(rest, line);
      out.push(v);
      rest = r.trim();
      if (rest.startsWith(',')) rest = rest.slice(1).trim();
      else if (!rest.startsWith(']')) throw new Error(`line ${line}: bad array`);
    }
    return out;
  }
  throw new Error(`line ${line}: unsupported value ${t}`);
}

export function parseTomlSubset(text: string): Table {
  const root: Table = {};
  let current: Table = root;
  const defined = new Set<Table>();
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const l = raw.trim();
    if (l === '' || l.startsWith('#')) return;
    if (l.startsWith('[[')) {
      if (!l.endsWith(']]')) throw new Error(`line ${line}: bad array-of-tables header`);
      const keys = parseKeyPath(l.slice(2, -2), line);
      let t: Table = root;
      for (const k of keys.slice(0, -1)) {
        const v = t[k];
        if (Array.isArray(v) && v.length > 0 && typeof v[0] === 'object') t = v[v.length - 1] as Table;
        else if (v !== undefined && typeof v === 'object' && !Array.isArray(v)) t = v;
        else if (v === undefined) t = t[k] = {};
        else throw new Error(`line ${line}: ${k} is not a table`);
      }
      const last = keys[keys.length - 1]!;
      const arr = t[last];
      if (arr !== undefined && !(Array.isArray(arr) && (arr.length === 0 || typeof arr[0] === 'object'))) throw new Error(`line ${line}: ${last} is not an array of tables`);
      const list = (arr ?? (t[last] = [])) as Table[];
      current = {};
      list.push(current);
      return;
    }
    if (l.startsWith('[')) {
      if (!l.endsWith(']')) throw new Error(`line ${line}: bad table header`);
      const keys = parseKeyPath(l.slice(1, -1), line);
      let t: Table = root;
      for (const k of keys) {
        const v = t[k];
        if (v === undefined) t = t[k] = {};
        else if (typeof v === 'object' && !Array.isArray(v)) t = v;
        else throw new Error(`line ${line}: ${k} is already a value`);
      }
      if (defined.has(t)) throw new Error(`line ${line}: table defined twice`);
      defined.add(t);
      current = t;
      return;
    }
    const eq = l.indexOf('=');
    if (eq < 0) throw new Error(`line ${line}: expected key = value`);
    const keyText = l.slice(0, eq).trim();
    if (!BARE.test(keyText) && !keyText.startsWith('"')) throw new Error(`line ${line}: bad key ${keyText}`);
    const [key] = parseKeyPath(keyText, line);
    if (key! in current) throw new Error(`line ${line}: duplicate key ${key}`);
    current[key!] = parseValue(l.slice(eq + 1), line);
  });
  return root;
}
