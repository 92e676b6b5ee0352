/**
 * Repository listings for the JSON API: a paged, prefix-searchable list and
 * the nested-name tree. Every step is an index range scan of repository
 * names (MetadataStore.repositoriesBetween), never a walk of all names:
 * - a list page reads `limit + 1` names after the cursor (more only when a
 *   visibility filter drops some, in batches, as `_catalog` does);
 * - a tree level jumps from one child to the next with a few seeks per
 *   child, so a namespace with 100,000 repositories below one child costs
 *   the same as one with a single repository.
 */
import type { MetadataStore } from '../metadata/store.js';
import { RegistryError } from './errors.js';

/** Sorts after every repository name (names are ASCII). */
const TOP = '\uffff';
/** Batch size when a visibility filter drops names. */
const BATCH = 500;

export interface ListPage<T> {
  readonly items: T[];
  /** The cursor of the next page (the last item's key), when there is one. */
  readonly next?: string;
}

export interface TreeNode {
  /** The last path component, e.g. `release` for `ocp4/openshift/release`. */
  readonly name: string;
  /** The full path, e.g. `ocp4/openshift/release`. */
  readonly path: string;
  /** A repository of that exact name exists. */
  readonly repository: boolean;
  /** Repositories exist below it. */
  readonly children: boolean;
}

/** Who is asking: a repository is listed only when `visible` says so (undefined: all). */
export type Visible = ((repo: string) => boolean) | undefined;

const PREFIX_RE = /^[a-z0-9._/-]{0,255}$/;

/** The greatest string below `s` that no repository name falls strictly between (names are ASCII). */
function justBelow(s: string): string {
  if (s === '') return '';
  return s.slice(0, -1) + String.fromCharCode(s.charCodeAt(s.length - 1) - 1) + TOP;
}

/** `/`'s successor: names below `p/` sort before `p0`. */
const AFTER_SLASH = String.fromCharCode('/'.charCodeAt(0) + 1);

export function assertPrefix(prefix: string, what: string): void {
  if (!PREFIX_RE.test(prefix)) {
    throw new RegistryError('NAME_INVALID', `invalid ${what}: lowercase letters, digits, '.', '_', '-' and '/' (at most 255)`, { [what]: prefix.slice(0, 100) }, 400);
  }
}

export class RepositoryBrowser {
  constructor(private readonly meta: MetadataStore) {}

  /** Names starting with `prefix` after `cursor`, at most `limit`. */
  async repositories(o: { prefix: string; cursor?: string | undefined; limit: number; visible: Visible }): Promise<ListPage<string>> {
    assertPrefix(o.prefix, 'q');
    const before = o.prefix + TOP;
    let after = o.cursor !== undefined && o.cursor > justBelow(o.prefix) ? o.cursor : justBelow(o.prefix);
    const out: string[] = [];
    for (;;) {
      const want = o.visible ? Math.max(o.limit + 1, BATCH) : o.limit + 1;
      const batch = await this.meta.repositoriesBetween(after, before, want);
      for (const name of batch) if (!o.visible || o.visible(name)) out.push(name);
      if (out.length > o.limit || batch.length < want) break;
      after = batch[batch.length - 1]!;
    }
    return page(out, o.limit, (x) => x);
  }

  /** The children of `parent` ('' for the top level) after the child named `cursor`. */
  async tree(o: { parent: string; cursor?: string | undefined; limit: number; visible: Visible }): Promise<ListPage<TreeNode>> {
    assertPrefix(o.parent, 'parent');
    const base = o.parent === '' ? '' : `${o.parent}/`;
    const end = o.parent === '' ? TOP : `${o.parent}${AFTER_SLASH}`;
    const out: TreeNode[] = [];
    // Skip past the cursor child and everything below it.
    let next = o.cursor !== undefined ? await this.after(base, o.cursor, end) : await this.first(justBelow(base), end);
    while (next !== undefined && out.length <= o.limit) {
      const child = next.slice(base.length).split('/')[0]!;
      const path = base + child;
      const node = await this.node(child, path, o.visible);
      if (node) out.push(node);
      next = await this.after(base, child, end);
    }
    return page(out, o.limit, (n) => n.name);
  }

  private async first(after: string, before: string): Promise<string | undefined> {
    return (await this.meta.repositoriesBetween(after, before, 1))[0];
  }

  /** The first name under `base` whose first component comes after `child`. */
  private async after(base: string, child: string, end: string): Promise<string | undefined> {
    const path = base + child;
    // Names such as `path-x` or `path.x` sort between `path` and `path/`.
    return (await this.first(path, `${path}/`)) ?? (await this.first(justBelow(`${path}${AFTER_SLASH}`), end));
  }

  private async node(name: string, path: string, visible: Visible): Promise<TreeNode | undefined> {
    const repository = await this.meta.repositoryExists(path);
    const below = (n: number, after = `${path}/`) => this.meta.repositoriesBetween(after, `${path}${AFTER_SLASH}`, n);
    if (!visible) return { name, path, repository, children: (await below(1)).length > 0 };
    // Shown when the account may read the repository or something below it.
    let children = false;
    for (let after = `${path}/`; ;) {
      const batch = await below(BATCH, after);
      if (batch.some(visible)) {
        children = true;
        break;
      }
      if (batch.length < BATCH) break;
      after = batch[batch.length - 1]!;
    }
    const readable = repository && visible(path);
    if (!readable && !children) return undefined;
    return { name, path, repository: readable, children };
  }
}

function page<T>(rows: T[], limit: number, key: (t: T) => string): ListPage<T> {
  if (rows.length <= limit) return { items: rows };
  const items = rows.slice(0, limit);
  return { items, next: key(items[limit - 1]!) };
}
