/**
 * The archive transport: `archive://REPO[:TAG][@DIGEST]`, one repository of
 * the archive set of the run. As with oc's disk store (file://), the
 * reference names the repository only; the set itself comes from the
 * command's environment (`env.archive`): the ArchiveWriter being filled
 * (mirror to disk) or the ArchiveSet being read in place (disk to mirror).
 * REPO is the repository path inside the set (`openshift/release-images`),
 * the path the set records its tags and manifests under.
 */
import { isDigest, type Digest } from '../../oci/digest.js';
import { InvalidReferenceError } from '../../reference/image-name.js';
import type { Transport, TransportEnv } from '../transport.js';
import { ArchiveDestination } from './archive-destination.js';
import type { ArchiveSet } from './archive-reader.js';
import { ArchiveSource } from './archive-source.js';
import type { ArchiveWriter } from './archive-writer.js';

export interface ArchiveReference {
  readonly transport: 'archive';
  readonly repository: string;
  readonly tag: string | undefined;
  readonly digest: Digest | undefined;
}

/** The archive set a command works on (TransportEnv.archive). */
export interface ArchiveEnv {
  /** Mirror to disk: the set being written. */
  readonly writer?: ArchiveWriter;
  /** Disk to mirror: the set being read. */
  readonly set?: ArchiveSet;
}

const PREFIX = 'archive://';
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** `archive://REPOSITORY` (no selector). */
export function archiveReference(repository: string, sel: { tag?: string; digest?: Digest } = {}): ArchiveReference {
  return { transport: 'archive', repository, tag: sel.tag, digest: sel.digest };
}

export function isArchiveReference(r: { transport: string }): r is ArchiveReference {
  return r.transport === 'archive';
}

function parse(input: string): ArchiveReference {
  let rest = input.slice(PREFIX.length);
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const d = rest.slice(at + 1);
    if (!isDigest(d)) throw new InvalidReferenceError(input, `"${d}" is not a digest (sha256:<64 hex>)`);
    digest = d as Digest;
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new InvalidReferenceError(input, `"${tag}" is not a valid tag`);
  }
  if (rest === '') throw new InvalidReferenceError(input, 'names no repository (archive://REPOSITORY[:TAG][@DIGEST])');
  for (const c of rest.split('/')) if (!COMPONENT.test(c)) throw new InvalidReferenceError(input, `repository component "${c}" is not valid (lower-case letters, digits and separators)`);
  return archiveReference(rest, { tag, digest });
}

function archiveOf(env: TransportEnv, what: 'writer' | 'set', ref: ArchiveReference): ArchiveWriter | ArchiveSet {
  const a = env.archive?.[what];
  if (a === undefined) throw new Error(`${PREFIX}${ref.repository}: no archive set is open for ${what === 'writer' ? 'writing (archive:// destinations are written by mirror to disk)' : 'reading (archive:// sources are read by disk to mirror, --from)'}`);
  return a;
}

export const archiveTransport: Transport<ArchiveReference> = {
  name: 'archive',
  prefixes: [PREFIX],
  selectorWords: 'a tag or a digest',
  parse: (text) => parse(text),
  format: (r) => `${PREFIX}${r.repository}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`,
  repositoryText: (r) => `${PREFIX}${r.repository}`,
  selector: (r) => ({ tag: r.tag, digest: r.digest }),
  withSelector: (r, sel) => archiveReference(r.repository, sel),
  imageName: (r) => ({ registry: undefined, repository: r.repository, tag: r.tag, digest: r.digest }),
  registryName: () => undefined,
  openSource: async (env, r) => new ArchiveSource(archiveOf(env, 'set', r) as ArchiveSet, r.repository),
  openDestination: async (env, r) => new ArchiveDestination(archiveOf(env, 'writer', r) as ArchiveWriter, r.repository),
  contentsHint: async (env) => {
    const set = env.archive?.set;
    if (set === undefined) return undefined;
    const repos = Object.keys(set.index.repositories).sort();
    return `the archive set ${set.dir} holds ${repos.length} repositories${repos.length > 0 ? ` (${repos.slice(0, 5).join(', ')}${repos.length > 5 ? ', …' : ''})` : ''}`;
  },
};
