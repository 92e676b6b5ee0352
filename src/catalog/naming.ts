/**
 * Destination names as `oc adm catalog mirror` makes them (its `mount()`),
 * and valid Kubernetes names for the CatalogSource and mirror-set objects.
 *
 * mountTarget(source, dest, maxComponents):
 * - a source with a digest and no tag gets tag = FNV-1a 32-bit of the whole
 *   source reference text, lowercase hex, not zero-padded;
 * - components = the destination's path components + the source's path
 *   components (the source registry host is dropped);
 * - the first component is the namespace; the name is the others joined
 *   with `/`, except that with maxComponents N > 0 and more than N
 *   components, components N-1.. are flattened into one joined with `-`;
 * - maxComponents 0 is unlimited, 1 is refused; a `file://` destination
 *   forces 0 (the disk store keeps every path as it is).
 */
import { parseImageName } from '../reference/image-name.js';
import { CatalogError } from './errors.js';

/** FNV-1a 32-bit of the UTF-8 bytes of `text`, as Go's `%x` prints it (no zero padding). */
export function fnv32aHex(text: string): string {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(text, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16);
}

export interface MountTarget {
  /** `registry/ns/name` (or `file://root/ns/name`), no tag. */
  readonly repository: string;
  readonly tag: string;
  /** The source's digest, kept so mirror sets can be written for digest references. */
  readonly digest?: string;
  /** `repository:tag`: oc's mapping.txt right-hand side (never the digest). */
  readonly reference: string;
}

/** Checks --max-components: 0 or at least 2. */
export function checkMaxComponents(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n === 1) throw new CatalogError(`--max-components must be 0 (unlimited) or at least 2, got ${n}`);
  return n;
}

/** Splits a destination `registry[/path]` or `file://root[/path]` into its prefix and path components. */
function splitDest(dest: string): { prefix: string; components: string[]; file: boolean } {
  const file = dest.startsWith('file://');
  const body = (file ? dest.slice('file://'.length) : dest).replace(/\/+$/, '');
  if (body === '') throw new CatalogError(`destination "${dest}" names no registry or directory`);
  const parts = body.split('/').filter((p) => p !== '');
  if (file) return { prefix: 'file://', components: parts, file };
  return { prefix: `${parts[0]}/`, components: parts.slice(1), file };
}

/** oc's mount(): where `source` goes under `dest`. */
export function mountTarget(source: string, dest: string, maxComponents: number): MountTarget {
  checkMaxComponents(maxComponents);
  let src;
  try {
    src = parseImageName(source);
  } catch (e) {
    throw new CatalogError(`related image ${(e as Error).message}`);
  }
  const d = splitDest(dest);
  const max = d.file ? 0 : maxComponents;
  const components = [...d.components, ...src.repository.split('/')];
  let path: string;
  if (components.length === 1) path = components[0]!;
  else {
    const [ns, ...rest] = components as [string, ...string[]];
    let name: string;
    if (max === 0 || components.length <= max) name = rest.join('/');
    else name = [...components.slice(1, max - 1), components.slice(max - 1).join('-')].join('/');
    path = `${ns}/${name}`;
  }
  const tag = src.tag ?? fnv32aHex(source);
  const repository = `${d.prefix}${path}`;
  return { repository, tag, ...(src.digest ? { digest: src.digest } : {}), reference: `${repository}:${tag}` };
}

const DNS_LABEL_MAX = 63;

/**
 * A valid resource name (DNS-1123 label: lowercase letters, digits and `-`,
 * at most 63, alphanumeric at both ends) for the CatalogSource and mirror
 * sets of an index whose repository is `indexRepo` (`ns/name`, nested, or a
 * full `host/ns/name[:tag]`). As oc, the first component (the namespace) is
 * dropped when there are several; `/` and other characters become `-`
 * (oc keeps `/`, which clusters refuse: the seed's manual step).
 */
export function catalogResourceName(indexRepo: string): string {
  let repo = indexRepo.replace(/^file:\/\//, '').replace(/@.*$/, '');
  const lastSlash = repo.lastIndexOf('/');
  const colon = repo.lastIndexOf(':');
  if (colon > lastSlash) repo = repo.slice(0, colon);
  let parts = repo.split('/').filter((p) => p !== '');
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0]!)) parts = parts.slice(1);
  const named = parts.length > 1 ? parts.slice(1) : parts;
  let name = named
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (name.length > DNS_LABEL_MAX) name = name.slice(0, DNS_LABEL_MAX).replace(/-+$/, '');
  if (name === '') throw new CatalogError(`cannot make a resource name from index repository "${indexRepo}": no letters or digits`);
  return name;
}
