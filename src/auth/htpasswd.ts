/**
 * htpasswd import: `name:hash` lines. Only bcrypt entries ($2y$, $2a$, $2b$ —
 * what `htpasswd -B` writes and what distribution accepts) are importable;
 * other hash types cannot be verified with bcrypt and are reported.
 */
import { isValidUserName } from './store.js';
import { isBcryptHash } from './passwords.js';

export interface HtpasswdEntry {
  readonly name: string;
  readonly hash: string;
}

export interface HtpasswdParse {
  readonly entries: HtpasswdEntry[];
  /** Lines skipped, with the reason (never the hash). */
  readonly skipped: { line: number; name: string; reason: string }[];
}

export function parseHtpasswd(text: string): HtpasswdParse {
  const entries: HtpasswdEntry[] = [];
  const skipped: HtpasswdParse['skipped'] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    const hash = colon > 0 ? line.slice(colon + 1) : '';
    const shown = name.slice(0, 64);
    if (!isValidUserName(name)) return skipped.push({ line: i + 1, name: shown, reason: 'invalid user name' });
    if (!isBcryptHash(hash)) return skipped.push({ line: i + 1, name: shown, reason: 'not a bcrypt hash (use htpasswd -B)' });
    if (seen.has(name)) return skipped.push({ line: i + 1, name: shown, reason: 'duplicate entry' });
    seen.add(name);
    entries.push({ name, hash });
    return undefined;
  });
  return { entries, skipped };
}
