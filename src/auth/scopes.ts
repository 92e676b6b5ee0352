/**
 * Docker token scopes:
 *   repository:NAME:pull,push,delete   (`*` = all three; `repository(plugin)` is treated as repository)
 *   registry:catalog:*
 * Several `scope=` parameters may be given, and the OAuth2 POST form puts
 * several scopes in one space-separated value.
 */
import { ALL_ACTIONS, type Action } from './permissions.js';

export type Scope = { readonly type: 'repository'; readonly name: string; readonly actions: readonly Action[] } | { readonly type: 'catalog' };

/** One JWT `access` entry (the distribution token format). */
export interface AccessEntry {
  readonly type: string;
  readonly name: string;
  readonly actions: string[];
}

/** Parses one scope string; undefined for anything not understood (ignored, as distribution does). */
export function parseScope(s: string): Scope | undefined {
  const first = s.indexOf(':');
  const last = s.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  const type = s.slice(0, first);
  const name = s.slice(first + 1, last);
  const acts = s.slice(last + 1).split(',').map((a) => a.trim());
  if (type === 'registry') return name === 'catalog' && acts.includes('*') ? { type: 'catalog' } : undefined;
  if (type !== 'repository' && !/^repository\([a-z0-9]+\)$/.test(type)) return undefined;
  if (name.length === 0 || name.length > 255) return undefined;
  const actions = new Set<Action>();
  for (const a of acts) {
    if (a === '*') ALL_ACTIONS.forEach((x) => actions.add(x));
    else if ((ALL_ACTIONS as readonly string[]).includes(a)) actions.add(a as Action);
  }
  return actions.size ? { type: 'repository', name, actions: ALL_ACTIONS.filter((a) => actions.has(a)) } : undefined;
}

/** All scopes of a request: each value may hold several space-separated scopes. */
export function parseScopes(values: readonly string[]): Scope[] {
  const out: Scope[] = [];
  for (const v of values) for (const part of v.split(' ')) {
    if (!part) continue;
    const s = parseScope(part);
    if (s) out.push(s);
  }
  return out;
}

export function formatScope(s: Scope): string {
  return s.type === 'catalog' ? 'registry:catalog:*' : `repository:${s.name}:${s.actions.join(',')}`;
}

export function toAccessEntry(s: Scope): AccessEntry {
  return s.type === 'catalog' ? { type: 'registry', name: 'catalog', actions: ['*'] } : { type: 'repository', name: s.name, actions: [...s.actions] };
}
