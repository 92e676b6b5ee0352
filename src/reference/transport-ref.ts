/**
 * Transport-qualified references, the strings users pass to `image mirror`:
 *
 *   docker://HOST/REPO[:TAG][@DIGEST]   a registry (the prefix is optional)
 *   HOST/REPO[:TAG][@DIGEST]            the same, bare
 *   oci:PATH[:REF]                      an OCI image layout directory; REF is
 *                                       an index.json ref name, or @DIGEST
 *   file://[/]REPO[:TAG][@DIGEST]       oc's disk store (`v2/<repo>/...`)
 *                                       under --dir/--from-dir
 *
 * As in containers/image, PATH ends at the first `:`, so a layout path
 * cannot contain one, except a Windows drive letter (`oci:C:\layouts\x:tag`,
 * `oci:D:/x`; ref names never start with `/` or `\`, so this is unambiguous).
 * As in oc, one leading `/` after `file://` is dropped and a host in a
 * file:// name is kept but not used for the on-disk path.
 */
import { parseDigest, type Digest } from '../oci/digest.js';
import { quoted } from '../util/quoted.js';
import { InvalidReferenceError, formatImageName, parseImageName, repositoryOf, type ImageName, type ParseNameOptions, type RegistryRef } from './image-name.js';

export type TransportName = 'docker' | 'oci' | 'file';

export interface DockerReference {
  readonly transport: 'docker';
  readonly name: RegistryRef;
  /** True when the input carried the `docker://` prefix (kept by format). */
  readonly explicit: boolean;
}

export interface OciReference {
  readonly transport: 'oci';
  readonly path: string;
  /** index.json `org.opencontainers.image.ref.name`, if given */
  readonly refName: string | undefined;
  /** `oci:PATH:@sha256:...` selects a manifest in index.json by digest */
  readonly digest: Digest | undefined;
}

export interface FileReference {
  readonly transport: 'file';
  readonly name: ImageName;
  /** True when the input was `file:///…` (one leading slash, dropped). */
  readonly leadingSlash: boolean;
}

export type ImageReference = DockerReference | OciReference | FileReference;

/** containers/image's allowed characters for an OCI layout ref name. */
const OCI_REF_RE = /^[a-zA-Z0-9._\-:/@+]+$/;

/** C0 controls (NUL included), DEL, NEL and the Unicode line separators. */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x85 || c === 0x2028 || c === 0x2029) return true;
  }
  return false;
}

function parseOci(input: string): OciReference {
  const within = input.slice('oci:'.length);
  const colon = within.indexOf(':', /^[A-Za-z]:[\\/]/.test(within) ? 2 : 0);
  const path = colon >= 0 ? within.slice(0, colon) : within;
  const ref = colon >= 0 ? within.slice(colon + 1) : undefined;
  if (path === '') throw new InvalidReferenceError(input, 'oci: needs a directory path');
  // NUL cannot reach the file system, and a line break would split messages naming the layout
  if (hasControl(path)) throw new InvalidReferenceError(input, 'the oci: directory path holds a control character or line break');
  if (ref === undefined || ref === '') return { transport: 'oci', path, refName: undefined, digest: undefined };
  if (ref.startsWith('@')) {
    try {
      return { transport: 'oci', path, refName: undefined, digest: parseDigest(ref.slice(1)).digest };
    } catch (e) {
      throw new InvalidReferenceError(input, (e as Error).message);
    }
  }
  if (!OCI_REF_RE.test(ref)) throw new InvalidReferenceError(input, `invalid OCI layout ref name ${quoted(ref, 80)}`);
  return { transport: 'oci', path, refName: ref, digest: undefined };
}

/** Parses a transport-qualified reference. Throws InvalidReferenceError. */
export function parseImageReference(input: string, opts: ParseNameOptions = {}): ImageReference {
  if (input.startsWith('oci:')) return parseOci(input);
  if (input.startsWith('file://')) {
    let rest = input.slice('file://'.length);
    const leadingSlash = rest.startsWith('/');
    if (leadingSlash) rest = rest.slice(1);
    return { transport: 'file', name: parseImageName(rest, opts), leadingSlash };
  }
  const explicit = input.startsWith('docker://');
  const rest = explicit ? input.slice('docker://'.length) : input;
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(rest) || /^(dir|oci-archive|docker-archive|containers-storage|docker-daemon|s3):/.test(rest)) {
    throw new InvalidReferenceError(input, 'unsupported transport (supported: docker://, oci:, file://)');
  }
  const name = parseImageName(rest, opts);
  if (name.registry === undefined) {
    throw new InvalidReferenceError(input, `no registry host; write it fully qualified, e.g. registry.example.com:5000/${name.repository}`);
  }
  return { transport: 'docker', name: name as RegistryRef, explicit };
}

/** Inverse of parseImageReference. */
export function formatImageReference(r: ImageReference): string {
  switch (r.transport) {
    case 'docker':
      return `${r.explicit ? 'docker://' : ''}${formatImageName(r.name)}`;
    case 'oci':
      return `oci:${r.path}${r.refName !== undefined ? `:${r.refName}` : r.digest !== undefined ? `:@${r.digest}` : ''}`;
    case 'file':
      return `file://${r.leadingSlash ? '/' : ''}${formatImageName(r.name)}`;
  }
}

/** The repository part of a reference: `host/repo`, `file://repo` or `oci:PATH` (no tag, digest or docker:// prefix). */
export function repositoryText(ref: ImageReference): string {
  if (ref.transport === 'oci') return `oci:${ref.path}`;
  const name = { ...ref.name, tag: undefined, digest: undefined };
  return ref.transport === 'file' ? `file://${repositoryOf(name)}` : repositoryOf(name);
}
