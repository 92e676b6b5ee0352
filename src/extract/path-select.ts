/**
 * Which entries of an image a `--path SRC:DST` or `--file SRC` selects, and
 * where under DST each one goes (oc image extract's rules):
 *
 *   /            everything, at the same relative paths
 *   /DIR/        what is under DIR (DIR's own entry is not written)
 *   /DIR/NAME    DIR's entries whose first name component matches NAME, a
 *                glob of one path segment (`*`, `?`, `[a-z]`, `[^x]`, `\`
 *                escapes); a matching directory comes with its contents
 *
 * Unlike oc, a name at the top (`/NAME`) is allowed.
 */
import { ExtractUsageError } from './errors.js';
import { UnsafeTarEntryError, safeEntryPath } from './layer-tar.js';

/** Go's path.Match for one segment, as a RegExp; throws ExtractUsageError for a malformed pattern. */
export function globSegment(pattern: string): RegExp {
  const bad = (why: string): ExtractUsageError => new ExtractUsageError(`bad pattern "${pattern}": ${why}`);
  let i = 0;
  const char = (): string => {
    let ch = pattern[i];
    if (ch === undefined) throw bad('"[" without a closing "]"');
    if (ch === '-' || ch === ']') throw bad(`unexpected "${ch}" in a character class`);
    if (ch === '\\') {
      ch = pattern[++i];
      if (ch === undefined) throw bad('it ends with a lone "\\"');
    }
    i++;
    return ch;
  };
  let re = '';
  while (i < pattern.length) {
    const c = pattern[i++]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      if (i >= pattern.length) throw bad('it ends with a lone "\\"');
      re += escapeRe(pattern[i++]!);
    } else if (c === '[') {
      const negate = pattern[i] === '^';
      if (negate) i++;
      let cls = '';
      do {
        const lo = char();
        if (pattern[i] === '-') {
          i++;
          const hi = char();
          if (lo > hi) throw bad(`range ${lo}-${hi} is out of order`);
          cls += `${escapeClass(lo)}-${escapeClass(hi)}`;
        } else cls += escapeClass(lo);
        if (i >= pattern.length) throw bad('"[" without a closing "]"');
      } while (pattern[i] !== ']');
      i++;
      re += negate ? `[^/${cls}]` : `[${cls}]`;
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`, 's');
}

const escapeRe = (c: string): string => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const escapeClass = (c: string): string => c.replace(/[\]\\^-]/g, '\\$&');
const hasGlob = (s: string): boolean => /[*?[\\]/.test(s);

/** One selection inside an image. */
export class PathSelector {
  /** SRC as the user gave it (for messages). */
  readonly source: string;
  /** The one image path this selects when SRC names a single entry without a glob. */
  readonly literal: string | undefined;
  private readonly mode: 'all' | 'dir' | 'match';
  private readonly base: string;
  private readonly name: RegExp | undefined;

  constructor(src: string) {
    this.source = src;
    let normalized: string;
    try {
      normalized = safeEntryPath(src.replace(/^\/+/, ''));
    } catch (e) {
      throw new ExtractUsageError(`${src}: ${(e as UnsafeTarEntryError).message.replace('refusing tar entry', 'refusing a path')}`);
    }
    if (normalized === '') {
      this.mode = 'all';
      this.base = '';
    } else if (src.endsWith('/') || src.endsWith('/.')) {
      this.mode = 'dir';
      this.base = normalized;
    } else {
      const slash = normalized.lastIndexOf('/');
      this.mode = 'match';
      this.base = slash < 0 ? '' : normalized.slice(0, slash);
      const last = normalized.slice(slash + 1);
      this.name = globSegment(last);
      if (!hasGlob(last)) this.literal = normalized;
    }
  }

  /** The image directory DST stands for ('' = the image root): `root/REL` goes to `DST/REL`. */
  get root(): string {
    return this.base;
  }

  /** Where `imagePath` goes relative to DST ('' for the selected directory itself), or undefined when not selected. */
  map(imagePath: string): string | undefined {
    if (this.mode === 'all') return imagePath;
    let rest: string;
    if (this.base === '') rest = imagePath;
    else if (imagePath === this.base) rest = '';
    else if (imagePath.startsWith(`${this.base}/`)) rest = imagePath.slice(this.base.length + 1);
    else return undefined;
    if (this.mode === 'dir') return rest;
    if (rest === '') return undefined;
    const slash = rest.indexOf('/');
    return this.name!.test(slash < 0 ? rest : rest.slice(0, slash)) ? rest : undefined;
  }
}
