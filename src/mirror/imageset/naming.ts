/**
 * oc-mirror v2's destination names (reference §5.7) under a registry
 * destination `host[:port][/prefix…]`:
 * - release image: `<dest>/openshift/release-images:<version>-<arch>`;
 * - release components: `<dest>/openshift/release:<version>-<arch>-<name>`;
 * - operator and additional images: `<dest>/<source path without the
 *   registry host>:<tag>`; a digest-only source gets the tag
 *   `sha256-<hex>`; tag and digest: copied by digest, pushed by tag;
 * - a catalog: `<dest>/<targetCatalog or catalog path>:<targetTag or its tag>`.
 * `--max-nested-paths N` (N > 0) keeps the first N-1 components of the path
 * below the host and joins the rest with `-`.
 */
import type { MountTarget } from '../../catalog/naming.js';
import { parseImageName } from '../../reference/image-name.js';

export const RELEASE_IMAGES_PATH = 'openshift/release-images';
export const RELEASE_COMPONENTS_PATH = 'openshift/release';

/** `host` and path components of a destination `host[/prefix]`. */
export function splitRegistryDest(dest: string): { host: string; prefix: string[] } {
  const [host = '', ...prefix] = dest.replace(/^docker:\/\//, '').replace(/\/+$/, '').split('/');
  return { host, prefix: prefix.filter((p) => p !== '') };
}

/** Path components cut to `max` (0: unlimited): the first max-1 kept, the rest joined with `-`. */
export function nestPath(components: readonly string[], max: number): string[] {
  if (max <= 0 || components.length <= max) return [...components];
  return [...components.slice(0, max - 1), components.slice(max - 1).join('-')];
}

/** `host/<prefix>/<path>` with the nesting limit applied to everything below the host. */
export function destRepository(dest: string, path: string, maxNestedPaths: number): string {
  const d = splitRegistryDest(dest);
  return [d.host, ...nestPath([...d.prefix, ...path.split('/')], maxNestedPaths)].join('/');
}

/** The v2 tag of a source: its tag, else `sha256-<hex>` of its digest. */
export function v2Tag(tag: string | undefined, digest: string | undefined): string {
  if (tag !== undefined) return tag;
  if (digest === undefined) return 'latest';
  return digest.replace(':', '-');
}

/** Where an operator or additional image goes. */
export function v2Target(image: string, dest: string, maxNestedPaths: number): MountTarget {
  const n = parseImageName(image);
  const repository = destRepository(dest, n.repository, maxNestedPaths);
  const tag = v2Tag(n.tag, n.digest);
  return { repository, tag, ...(n.digest ? { digest: n.digest } : {}), reference: `${repository}:${tag}` };
}

/** Depth of the deepest repository path (below the host) a set of repositories needs. */
export function pathDepth(repository: string): number {
  return repository.split('/').length - 1;
}
