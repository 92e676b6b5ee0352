/**
 * What a disk store (oc's `file://` layout, see file-store.ts) holds, said in
 * one line: for a `file://` source that matched nothing, so a mistyped
 * --from-dir or repository is told apart from an empty result.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isValidRepositoryName } from '../../oci/names.js';
import { FileRepository } from './file-store.js';

export interface StoreContents {
  /** False when `<root>/v2` is not a readable directory. */
  readonly hasStore: boolean;
  /** The first repositories found (sorted), with their tags. */
  readonly repositories: readonly { repository: string; tags: readonly string[] }[];
  /** How many more repositories there are beyond `repositories`. */
  readonly more: number;
}

async function subdirectories(dir: string): Promise<string[] | undefined> {
  try {
    return (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
  } catch {
    return undefined;
  }
}

/** Repository names under `<root>/v2` (a directory with a manifests/ subdirectory is one). */
async function repositoryNames(v2: string, prefix: string[], depth: number, out: string[]): Promise<void> {
  const names = await subdirectories(join(v2, ...prefix));
  if (names === undefined || depth > 16) return;
  if (prefix.length > 0 && names.includes('manifests')) out.push(prefix.join('/'));
  for (const n of names) {
    if (prefix.length > 0 && (n === 'manifests' || n === 'blobs')) continue;
    await repositoryNames(v2, [...prefix, n], depth + 1, out);
  }
}

export async function storeContents(root: string, limit = 5): Promise<StoreContents> {
  const v2 = join(root, 'v2');
  if ((await subdirectories(v2)) === undefined) return { hasStore: false, repositories: [], more: 0 };
  const names: string[] = [];
  await repositoryNames(v2, [], 0, names);
  const valid = names.filter((n) => isValidRepositoryName(n));
  const repositories = [];
  for (const repository of valid.slice(0, limit)) repositories.push({ repository, tags: await new FileRepository(root, repository).tags() });
  return { hasStore: true, repositories, more: Math.max(0, valid.length - limit) };
}

/** e.g. `it holds openshift/release (4.12.0-x86_64, 4.12.1-x86_64), and 2 more repositories`. */
export function storeContentsText(c: StoreContents, maxTags = 3): string {
  if (!c.hasStore) return 'it has no v2/ store (is the directory right?)';
  if (c.repositories.length === 0) return 'its v2/ store holds no repositories';
  const repos = c.repositories.map(({ repository, tags }) => {
    if (tags.length === 0) return `${repository} (no tags)`;
    const shown = tags.slice(0, maxTags).join(', ');
    return `${repository} (${shown}${tags.length > maxTags ? `, +${tags.length - maxTags} more` : ''})`;
  });
  return `it holds ${repos.join(', ')}${c.more > 0 ? `, and ${c.more} more repositor${c.more === 1 ? 'y' : 'ies'}` : ''}`;
}
