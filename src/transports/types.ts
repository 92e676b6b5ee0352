/**
 * The seam between the copy engine and the places images live. Every
 * transport (registry, OCI image layout, oc's file:// store) implements these
 * two interfaces for ONE repository; the engine never knows which one it has.
 *
 * Rules every implementation follows:
 * - Manifests are raw bytes. Nobody re-serializes them; the digest of the
 *   bytes is the manifest's identity.
 * - Blobs are streams. Nothing buffers a whole blob in memory.
 * - What an implementation can do is stated in `caps`, never discovered by
 *   probing for optional methods (wrappers would hide them).
 */
import type { Readable } from 'node:stream';
import type { Digest } from '../oci/digest.js';

/** A manifest exactly as stored. `digest` is the digest of `bytes`. */
export interface RawManifest {
  readonly bytes: Buffer;
  readonly mediaType: string;
  readonly digest: Digest;
}

/**
 * What the engine knows about a blob before reading it: the seam's minimal
 * view of the one Descriptor (oci/descriptor.ts), a subset of its fields
 * (manifests are parsed by oci/manifest.ts, never here).
 */
export interface BlobInfo {
  readonly digest: Digest;
  readonly size: number;
  readonly mediaType?: string;
}

export interface SourceCaps {
  /** listTags() works (registries, layouts, disk stores: true). */
  readonly listTags: boolean;
  /** listReferrers() asks the store (the OCI referrers API); false: it always yields nothing. */
  readonly referrers: boolean;
}

/**
 * One repository to read from.
 */
export interface ImageSource {
  /** Human-readable location, e.g. `127.0.0.1:5000/ocp4/release`. */
  readonly description: string;
  /**
   * Identity of the blob namespace: two sources or destinations with the same
   * `store` see the same blobs (one registry host, one layout directory,
   * one disk store root). Used to key deduplication and mounts.
   */
  readonly store: string;
  /** Repository name inside `store` (the `from` of a cross-repository mount). */
  readonly repository: string;
  readonly caps: SourceCaps;
  /**
   * Fetches a manifest by tag (or layout ref name) or by digest.
   * MUST return the stored bytes unchanged and MUST throw when `reference` is a
   * digest that the bytes do not hash to. `accept` lists the media types the
   * caller understands (all four schema-2/OCI types by default).
   * MUST throw ImageNotFoundError when the tag or manifest does not exist.
   */
  getManifest(reference: string, signal?: AbortSignal): Promise<RawManifest>;
  /**
   * Opens a blob for reading. The stream yields the blob's bytes; the caller
   * verifies size and digest (see VerifyingStream) and MUST consume or destroy it.
   * `offset` > 0 asks for the bytes from that offset on (for resumed uploads);
   * implementations without range support MUST throw instead of ignoring it.
   */
  getBlob(blob: BlobInfo, opts?: { offset?: number; signal?: AbortSignal }): Promise<Readable>;
  /** Lists tags (order unspecified). Only when caps.listTags. */
  listTags(signal?: AbortSignal): AsyncIterable<string>;
  /**
   * Manifests whose `subject` is `digest` (OCI referrers API), as descriptors.
   * MUST yield nothing (not throw) when the store has no referrers support.
   */
  listReferrers(digest: Digest, signal?: AbortSignal): Promise<readonly BlobInfo[]>;
  close(): Promise<void>;
}

export interface DestinationCaps {
  /**
   * `repository`: a blob must be present in each repository that uses it
   * (registries, oc's disk store); `store`: one shared pool (OCI layout).
   */
  readonly blobScope: 'repository' | 'store';
  /** mountBlob() can link a blob from another repository of the same store. */
  readonly crossRepoMount: boolean;
  /**
   * putBlob() and mountBlob() may run concurrently for different digests.
   * When false, the engine runs at most one of them at a time per `store`
   * (in this process); reads and manifest writes are not affected.
   */
  readonly concurrentBlobWrites: boolean;
  /**
   * putManifest() accepts a top-level manifest without a tag (push by
   * digest). Children (`target.child`) are always accepted, as part of
   * their parent. When false, the engine refuses a digest-only push to this
   * destination before writing anything, and copies no digest-only
   * referrers (signatures found by the referrers API) to it.
   */
  readonly taglessManifests: boolean;
}

export type BlobPresence = 'present' | 'absent';

export interface ManifestTarget {
  readonly tag?: string;
  readonly child?: boolean;
}

/**
 * One repository to write to.
 */
export interface ImageDestination {
  readonly description: string;
  /** Same meaning as ImageSource.store; equal stores can mount from each other. */
  readonly store: string;
  readonly repository: string;
  readonly caps: DestinationCaps;
  /** MUST answer 'present' only for a complete, verified blob. */
  hasBlob(blob: BlobInfo, signal?: AbortSignal): Promise<BlobPresence>;
  /**
   * Links `blob` from `fromRepository` (same store) without transferring it.
   * Returns false when the store declined (the caller then uploads).
   * Only when caps.crossRepoMount.
   */
  mountBlob(blob: BlobInfo, fromRepository: string, signal?: AbortSignal): Promise<boolean>;
  /**
   * Stores a blob read from `body`. MUST NOT make any byte visible under
   * `blob.digest` unless exactly `blob.size` bytes hashing to `blob.digest`
   * arrived (verify while streaming; temp + rename or the registry's
   * digest-checked commit). On error, partial data MUST be cleaned up or
   * left only where a resumed attempt can find it. MUST NOT buffer the blob.
   */
  putBlob(blob: BlobInfo, body: Readable, signal?: AbortSignal): Promise<void>;
  /**
   * The digest `reference` (tag or digest) currently resolves to, or
   * undefined when absent. Cheap (a HEAD or a stat): used to skip work.
   */
  resolveManifest(reference: string, signal?: AbortSignal): Promise<Digest | undefined>;
  /**
   * Stores manifest bytes unchanged, tagged `target.tag`, or by digest only
   * (MUST refuse with DigestMismatchError, before writing anything, bytes that
   * do not hash to `manifest.digest`),
   * when there is no tag. Every blob and child manifest it references MUST
   * already be present (children first). `target.child` marks a manifest
   * stored only as part of a parent index (a layout keeps just its blob).
   */
  putManifest(manifest: RawManifest, target: ManifestTarget, signal?: AbortSignal): Promise<void>;
  /**
   * Makes what was written through this destination visible as a finished
   * result. Whoever opened the destination calls it once, after the last
   * manifest it meant to write was written and only if the result is to be
   * kept (the copy engine: once per destination per run, after every image
   * of the run; not at all when the run failed, except that
   * --continue-on-error keeps the images that succeeded), then close().
   *
   * Before commit(), and after close() without it, an implementation shows
   * no result it can keep back: the OCI layout lists manifests in
   * index.json only here, in one atomic rewrite. Where every write is
   * visible at once (a registry's PUT; oc's disk store, whose tag symlink
   * is renamed into place after its manifest, blobs and children), commit()
   * does nothing, and each tag is a complete image the moment it appears.
   * Blobs and untagged manifest bytes written before a missing commit may
   * stay (unreferenced) for a later run to reuse; they are never partial.
   * resolveManifest() sees this destination's own uncommitted writes.
   * MUST be harmless with nothing written. Writes after commit() need
   * another commit(); the engine never does that.
   */
  commit(signal?: AbortSignal): Promise<void>;
  /** Releases what the destination holds (connections, file handles); discards uncommitted state it kept back. */
  close(): Promise<void>;
}

/** A tag or manifest that does not exist at the source. */
export class ImageNotFoundError extends Error {
  readonly code = 'ERR_IMAGE_NOT_FOUND';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImageNotFoundError';
  }
}

/** A digest-only push to a destination whose caps.taglessManifests is false. */
export class TagRequiredError extends Error {
  readonly code = 'ERR_TAG_REQUIRED';
  constructor(message: string) {
    super(message);
    this.name = 'TagRequiredError';
  }
}

/** A destination's commit() failed: the images of the run were written but are not (all) published. */
export class CommitFailedError extends Error {
  readonly code = 'ERR_COMMIT';
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'CommitFailedError';
  }
}

/** Bytes that do not match the digest or size they were promised to have. */
export class DigestMismatchError extends Error {
  readonly code = 'ERR_DIGEST_MISMATCH';
  constructor(message: string) {
    super(message);
    this.name = 'DigestMismatchError';
  }
}

/**
 * A source's body broke off part-way (a dropped connection, a body shorter
 * than its Content-Length, a read error): nothing is known about the bytes
 * that did not arrive. `cause` is the transport's error (retryable when it is
 * a network failure).
 */
export class SourceReadError extends Error {
  readonly code = 'ERR_SOURCE_READ';
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'SourceReadError';
  }
}

/** `message (CODE)` of a transport error, on one line. */
export function errorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const line = msg.split('\n')[0] ?? msg;
  const code = (e as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && !line.includes(code) ? `${line} (${code})` : line;
}
