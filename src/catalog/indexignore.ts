/**
 * `.indexignore` files (gitignore syntax), as operator-registry honours
 * them under a catalog directory. A file applies to its own directory and
 * everything below it; deeper files are read after (and override) shallower
 * ones; within a file, the last matching pattern wins.
 *
 * Supported syntax: blank lines and `#` comments; `\#`, `\!` and `\ `
 * escapes; trailing unescaped spaces dropped; `!` negation; a trailing `/`
 * matches directories only; a pattern with a `/` before its end is anchored
 * to the file's directory (a leading `/` only anchors), otherwise it
 * matches a name at any depth; `*`, `?`, `[...]` (`[!...]` negated) never
 * cross `/`; `**` spans directories (`**` + `/`, `/**`, `/**` + `/`). As in git,
 * a file below an ignored directory cannot be re-included (callers do not
 * descend into ignored directories).
 */
export interface IgnoreRule {
  readonly negate: boolean;
  readonly dirOnly: boolean;
  readonly re: RegExp;
  /** Directory of the .indexignore file, relative to the catalog root ('' = root). */
  readonly base: string;
}

function globToRegex(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const before = i === 0 || glob[i - 1] === '/';
        const after = i + 2 === glob.length || glob[i + 2] === '/';
        if (before && after) {
          if (i + 2 === glob.length) out += '.*';
          else {
            out += '(?:.*/)?';
            i += 2; // also eat the slash
            continue;
          }
          i++;
          continue;
        }
      }
      out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) out += '\\[';
      else {
        let cls = glob.slice(i + 1, close);
        if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
        out += `[${cls.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else if (c === '\\' && i + 1 < glob.length) {
      out += glob[i + 1]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      i++;
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return out;
}

/** Parses one .indexignore file found in directory `base`. */
export function parseIgnoreFile(text: string, base: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    let line = rawLine.replace(/(?<!\\)\s+$/, '');
    if (line === '' || line.startsWith('#')) continue;
    let negate = false;
    if (line.startsWith('!')) {
      negate = true;
      line = line.slice(1);
    } else if (line.startsWith('\\!') || line.startsWith('\\#')) line = line.slice(1);
    let dirOnly = false;
    if (line.endsWith('/') && !line.endsWith('\\/')) {
      dirOnly = true;
      line = line.replace(/\/+$/, '');
    }
    if (line === '') continue;
    const anchored = line.includes('/');
    if (line.startsWith('/')) line = line.slice(1);
    const body = globToRegex(line);
    const re = new RegExp(anchored ? `^${body}$` : `^(?:.*/)?${body}$`);
    rules.push({ negate, dirOnly, re, base });
  }
  return rules;
}

/** True when `path` (relative to the catalog root, `/`-separated) is ignored by `rules` (in reading order). */
export function isIgnored(rules: readonly IgnoreRule[], path: string, isDir: boolean): boolean {
  let ignored = false;
  for (const r of rules) {
    if (r.dirOnly && !isDir) continue;
    let rel: string;
    if (r.base === '') rel = path;
    else if (path.startsWith(`${r.base}/`)) rel = path.slice(r.base.length + 1);
    else continue;
    if (r.re.test(rel)) ignored = !r.negate;
  }
  return ignored;
}
