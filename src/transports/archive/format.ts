/**
 * The on-disk format of an archive set (m2d output, d2m input), close to
 * oc-mirror v2's so a user recognises it:
 *
 *   DIR/mirror_000001.tar, mirror_000002.tar, …   uncompressed tar, split at archiveSize
 *   DIR/mirror_index.json                          which archive holds what (this file's ArchiveIndex)
 *
 * Inside each tar (blobs in distribution's filesystem layout, as v2 packs them):
 *   docker/registry/v2/blobs/sha256/<hh>/<hex>/data   layers, configs, manifests
 *   <extra files>                                    e.g. the isc_<time>.yaml
 *   airlock/repositories.json                        (last archive) every repository's tags and manifests,
 *                                                    one member instead of distribution's link file per
 *                                                    tag and revision (each link would cost a tar header)
 *   airlock/checksums.json                           LAST member: ChecksumManifest
 *
 * Every member's data offset, size and sha256 is in its tar's checksum
 * manifest; the index records where each checksum manifest is and its sha256,
 * so a reader finds any blob with one ranged read and checks every byte.
 */
import { z } from 'zod';
import { parseDigest, type Digest } from '../../oci/digest.js';

export const INDEX_FILE = 'mirror_index.json';
export const CHECKSUMS_MEMBER = 'airlock/checksums.json';
export const FORMAT = 'airlock-archive/v1';
export const GiB = 1024 ** 3;

/** `mirror_000001.tar` for sequence 1 (v2's `%s_%06d.tar`, from 1). */
export function archiveName(sequence: number): string {
  return `mirror_${String(sequence).padStart(6, '0')}.tar`;
}

export const ARCHIVE_NAME = /^mirror_\d{6}\.tar$/;

export function blobMember(digest: Digest): string {
  const { algorithm, hex } = parseDigest(digest);
  return `docker/registry/v2/blobs/${algorithm}/${hex.slice(0, 2)}/${hex}/data`;
}

/** The member holding every repository's tags and manifests (RepositoriesMember). */
export const REPOSITORIES_MEMBER = 'airlock/repositories.json';

const digest = z.string().regex(/^sha(256:[0-9a-f]{64}|512:[0-9a-f]{128})$/) as unknown as z.ZodType<Digest>;
const count = z.number().int().nonnegative();

export const ChecksumManifestSchema = z
  .object({
    format: z.literal(FORMAT),
    set: z.string(),
    archive: z.string().regex(ARCHIVE_NAME),
    members: z.array(z.object({ name: z.string(), offset: count, size: count, sha256: z.string().regex(/^[0-9a-f]{64}$/) }).strict()),
  })
  .strict();
export type ChecksumManifest = z.infer<typeof ChecksumManifestSchema>;
export type MemberEntry = ChecksumManifest['members'][number];

export const ArchiveIndexSchema = z
  .object({
    format: z.literal(FORMAT),
    /** Random id of this m2d run: every tar's checksum manifest names it. */
    set: z.string(),
    created: z.string(),
    archiveSize: count,
    archives: z.array(z.object({ file: z.string().regex(ARCHIVE_NAME), size: count, checksums: z.object({ offset: count, size: count, sha256: z.string() }).strict() }).strict()),
    /** Blob (and manifest) digest → the archive holding it. */
    blobs: z.record(z.string(), z.string()),
    manifests: z.record(z.string(), z.object({ mediaType: z.string(), size: count }).strict()),
    /** Per repository: tags, every manifest stored (children too), and the untagged top-level ones (pushed by digest). */
    repositories: z.record(z.string(), z.object({ tags: z.record(z.string(), digest), manifests: z.array(digest), untagged: z.array(digest) }).strict()),
    /** Blobs the set needs that were left out because the far side has them (the skip set) → repositories of this set that use them. */
    delivered: z.record(z.string(), z.array(z.string())),
    /** Other files (the config) → archive. */
    files: z.record(z.string(), z.string()),
    /**
     * Per repository, the top-level images of the set left out because the
     * far side already has their manifest there (the history or inventory
     * said so): `tags` it has with that digest already, `retag` tags d2m
     * writes onto a manifest it has, `manifests` untagged ones. d2m checks
     * that every one of these digests is at the destination before pushing.
     */
    onDestination: z.record(z.string(), z.object({ tags: z.record(z.string(), digest), retag: z.record(z.string(), digest), manifests: z.array(digest) }).strict()).optional(),
  })
  .strict();
export type ArchiveIndex = z.infer<typeof ArchiveIndexSchema>;

/** The content of REPOSITORIES_MEMBER: the index's repositories (and onDestination), inside the tar. */
export interface RepositoriesMember {
  readonly format: typeof FORMAT;
  readonly set: string;
  readonly repositories: ArchiveIndex['repositories'];
  readonly onDestination?: ArchiveIndex['onDestination'];
}

/** Something wrong with an archive set, naming the file (and member). */
export class ArchiveDamagedError extends Error {
  readonly code = 'ERR_ARCHIVE_DAMAGED';
  constructor(
    readonly file: string,
    readonly member: string | undefined,
    readonly problem: string,
  ) {
    super(`${file}${member !== undefined ? `: member ${member}` : ''}: ${problem}; the archive set is damaged, copy it again from the source side (check with airlock archive verify)`);
    this.name = 'ArchiveDamagedError';
  }
}

/** Bad writer input: a blob over the size limit with strict splitting, a bad directory. */
export class ArchiveWriteError extends Error {
  readonly code = 'ERR_ARCHIVE_WRITE';
}
