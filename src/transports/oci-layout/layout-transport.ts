/**
 * The OCI image layout transport (skopeo's `oci:`):
 *
 *   oci:PATH[:REF]     REF is an index.json ref name, or @DIGEST
 *
 * As in containers/image, PATH ends at the first `:`, so a layout path
 * cannot contain one, except a Windows drive letter (`oci:C:\layouts\x:tag`,
 * `oci:D:/x`; ref names never start with `/` or `\`, so this is unambiguous).
 */
import { parseDigest, type Digest } from '../../oci/digest.js';
import { InvalidReferenceError } from '../../reference/image-name.js';
import { quoted } from '../../util/quoted.js';
import type { Transport } from '../transport.js';
import { OciLayout } from './layout.js';
import { OciLayoutDestination, OciLayoutSource } from './layout-image.js';

export interface OciReference {
  readonly transport: 'oci';
  readonly path: string;
  /** index.json `org.opencontainers.image.ref.name`, if given */
  readonly refName: string | undefined;
  /** `oci:PATH:@sha256:...` selects a manifest in index.json by digest */
  readonly digest: Digest | undefined;
}

const PREFIX = 'oci:';

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
  const within = input.slice(PREFIX.length);
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

export const ociLayoutTransport: Transport<OciReference> = {
  name: 'oci',
  prefixes: [PREFIX],
  selectorWords: 'a ref name or @digest',
  parse: parseOci,
  format: (r) => `${PREFIX}${r.path}${r.refName !== undefined ? `:${r.refName}` : r.digest !== undefined ? `:@${r.digest}` : ''}`,
  repositoryText: (r) => `${PREFIX}${r.path}`,
  selector: (r) => ({ tag: r.refName, digest: r.digest }),
  withSelector: (r, sel) => (sel.digest !== undefined ? { ...r, refName: undefined, digest: sel.digest } : { ...r, refName: sel.tag, digest: undefined }),
  imageName: () => undefined,
  registryName: () => undefined,
  openSource: async (_env, r) => new OciLayoutSource(await OciLayout.open(r.path, { create: false })),
  openDestination: async (_env, r) => new OciLayoutDestination(await OciLayout.open(r.path, { create: true })),
};

/** `oci:PATH`, selecting `refName` when given. */
export function ociLayoutReference(path: string, refName?: string): OciReference {
  return { transport: 'oci', path, refName, digest: undefined };
}
