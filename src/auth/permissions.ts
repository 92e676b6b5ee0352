/**
 * Repository globs and what a set of grants allows on one repository.
 *
 * Globs use the same rules as --sparse-index-repo: `*` matches within one
 * path component, `**` across components. So `ocp4/*` matches
 * `ocp4/openshift4` but not `ocp4/openshift/release`; `ocp4/**` matches both,
 * and `**` matches every repository.
 *
 * A name that is not a valid OCI repository name is granted nothing, so a
 * crafted name (`ocp4/../mirror/x`, escapes, …) can never match another
 * namespace's glob.
 */
import { isValidRepositoryName } from '../oci/names.js';
import type { Grants } from './store.js';

export type Action = 'pull' | 'push' | 'delete';
export const ALL_ACTIONS: readonly Action[] = ['pull', 'push', 'delete'];

const GLOB_RE = /^(?:\*\*|[a-z0-9._*-]+)(?:\/(?:\*\*|[a-z0-9._*-]+))*$/;

export function isValidGlob(glob: string): boolean {
  return glob.length <= 255 && GLOB_RE.test(glob);
}

const cache = new Map<string, RegExp>();

export function globToRegExp(glob: string): RegExp {
  let re = cache.get(glob);
  if (!re) {
    const parts = glob.split('**').map((seg) => seg.split('*').map((lit) => lit.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*'));
    re = new RegExp(`^${parts.join('.*')}$`);
    if (cache.size > 1000) cache.clear();
    cache.set(glob, re);
  }
  return re;
}

export function matchesAny(globs: readonly string[], repo: string): boolean {
  return globs.some((g) => isValidGlob(g) && globToRegExp(g).test(repo));
}

/** The actions `g` allows on `repo` (none for an invalid name). */
export function allowedActions(g: Grants, repo: string): Set<Action> {
  if (!isValidRepositoryName(repo)) return new Set();
  if (g.admin || matchesAny(g.push, repo)) return new Set(ALL_ACTIONS);
  if (matchesAny(g.pull, repo)) return new Set(['pull']);
  return new Set();
}

/** A warning for globs that look like they mean a whole namespace but match one level only. */
export function globHint(glob: string): string | undefined {
  if (glob.endsWith('/*') && !glob.endsWith('/**')) {
    return `note: '${glob}' matches one level (e.g. ${glob.slice(0, -1)}x); use '${glob.slice(0, -1)}**' to include nested repositories such as ${glob.slice(0, -1)}openshift/release`;
  }
  return undefined;
}

export const NO_GRANTS: Grants = { admin: false, pull: [], push: [] };
