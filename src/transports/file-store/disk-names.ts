/**
 * File names of a disk store on each platform.
 *
 * oc writes digests as `sha256:<hex>` file names, but ':' is not allowed in a
 * Windows file name (NTFS reads `sha256:abc` as the alternate data stream
 * `abc` of a file `sha256`), so oc on Windows writes `sha256-<hex>` instead
 * (openshift/oc#897). airlock writes the platform's form and reads either on
 * every platform, so media written on Windows is pushed from Linux and back.
 *
 * Tags are symlinks naming the digest (`manifests/<tag> -> sha256:<hex>`).
 * Windows lets only privileged users make symlinks, so there a tag is a small
 * regular file whose whole content is the digest; both forms are read.
 */
import { isDigest, type Digest } from '../../oci/digest.js';

export type DiskPlatform = 'posix' | 'win32';

export const hostDiskPlatform = (): DiskPlatform => (process.platform === 'win32' ? 'win32' : 'posix');

/** The file name a digest is written under on `platform`. */
export function digestFileName(digest: Digest, platform: DiskPlatform): string {
  return platform === 'win32' ? digest.replace(':', '-') : digest;
}

/** Both names a digest may be stored under, the platform's own first. */
export function digestFileNames(digest: Digest, platform: DiskPlatform): [string, string] {
  const windows = digest.replace(':', '-');
  return platform === 'win32' ? [windows, digest] : [digest, windows];
}

const WINDOWS_DIGEST = /^(sha256|sha512)-([0-9a-f]+)$/;

/** The digest a file name stands for (`sha256:<hex>` or `sha256-<hex>`), or undefined. */
export function digestOfFileName(name: string): Digest | undefined {
  if (isDigest(name)) return name as Digest;
  const m = WINDOWS_DIGEST.exec(name);
  if (m === null) return undefined;
  const d = `${m[1]}:${m[2]}`;
  return isDigest(d) ? (d as Digest) : undefined;
}

/** The most a tag file holding a digest can be (sha512 plus a newline). */
export const TAG_FILE_MAX_BYTES = 160;
