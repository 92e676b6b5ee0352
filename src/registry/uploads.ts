import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Digest } from '../oci/digest.js';
import type { MetadataStore } from '../metadata/store.js';
import { BlobStore, DigestMismatchError, SizeMismatchError, UPLOAD_ID_RE, type AppendResult } from '../storage/blob-store.js';
import { isValidRepositoryName } from '../oci/names.js';
import type { KeyedLock } from '../util/keyed-mutex.js';
import { RegistryError, asStorageFull, asStorageUnavailable } from './errors.js';
import { assertDigest, assertName } from './validate.js';

export interface UploadStatus {
  readonly id: string;
  /** Bytes received so far. */
  readonly size: number;
}

export interface ChunkInfo {
  /** Content-Range start and end (inclusive), when the client sent one. */
  readonly range?: { start: number; end: number };
  /** Content-Length, when known. */
  readonly length?: number;
}

/** Who opens an upload session: the caps on open sessions are kept per account and per address. */
export interface UploadClient {
  /** The authenticated account; undefined without authentication (then only the address counts). */
  readonly account?: string | undefined;
  readonly address?: string | undefined;
}

export interface UploadLimits {
  /** Open sessions one account may hold. */
  readonly maxOpenPerAccount: number;
  /** Open sessions one client address may hold. */
  readonly maxOpenPerAddress: number;
  /** Sessions idle longer than this are expired (the collector purges them) and no longer count. */
  readonly sessionTtlMs: number;
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = { maxOpenPerAccount: 1000, maxOpenPerAddress: 1000, sessionTtlMs: 86_400_000 };

/** Seconds a client over its session cap is told to wait. */
const TOO_MANY_RETRY_AFTER = 30;

/**
 * 408: the upload body went silent for the idle timeout. What arrived is
 * kept in the session (resumable) or dropped with it (single-request POST).
 */
export class UploadStalledError extends RegistryError {
  override readonly closeConnection = true;
  constructor(readonly size: number, idleMs: number, resumable: boolean) {
    const idle = `no byte received for ${idleMs / 1000} s`;
    super(
      'BLOB_UPLOAD_INVALID',
      resumable ? `${idle}: the upload keeps ${size} bytes; resume from the offset in Range` : `${idle}: the upload was dropped; send it again`,
      undefined,
      408,
      resumable ? { Range: uploadRange(size) } : undefined,
    );
    this.name = 'UploadStalledError';
  }
}

/** HTTP Range header value for an upload of `size` bytes (distribution's form). */
export function uploadRange(size: number): string {
  return `0-${Math.max(0, size - 1)}`;
}

/**
 * Blob upload sessions (POST / PATCH / PUT / GET / DELETE and mounts).
 * Chunks of one session are serialized; a chunk that does not start at the
 * current end is refused with 416 and the current Range.
 */
export class UploadService {
  /** The store's per-session lock: a session's requests never interleave, on any replica. */
  private readonly sessionLocks: KeyedLock;

  constructor(
    private readonly meta: MetadataStore,
    private readonly blobs: BlobStore,
    private readonly limits: UploadLimits = DEFAULT_UPLOAD_LIMITS,
  ) {
    this.sessionLocks = meta.uploadLocks;
  }

  /**
   * Opens a session: a metadata row only; storage is touched at the first
   * byte. 429 TOOMANYREQUESTS when the account or the address already holds
   * its maximum of open (not completed, cancelled or expired) sessions.
   */
  async start(repo: string, client: UploadClient = {}): Promise<UploadStatus> {
    assertName(repo);
    const id = randomUUID();
    const now = Date.now();
    const { maxOpenPerAccount, maxOpenPerAddress, sessionTtlMs } = this.limits;
    const r = await this.meta.createUpload(
      { id, repo, now, ...(client.account !== undefined ? { owner: client.account } : {}), ...(client.address !== undefined ? { address: client.address } : {}) },
      { perOwner: maxOpenPerAccount, perAddress: maxOpenPerAddress, activeSince: now - sessionTtlMs },
    );
    if (!r.ok) {
      const who = r.limit === 'owner' ? `account ${JSON.stringify(client.account)}` : `address ${client.address}`;
      const max = r.limit === 'owner' ? maxOpenPerAccount : maxOpenPerAddress;
      throw new RegistryError(
        'TOOMANYREQUESTS',
        `too many open upload sessions for ${who} (at most ${max}): complete or cancel some, or retry later`,
        { limit: max },
        429,
        { 'Retry-After': String(TOO_MANY_RETRY_AFTER) },
      );
    }
    return { id, size: 0 };
  }

  /**
   * Mounts `digest` into `repo` (POST ?mount=): from `from` when given and
   * readable, else from any repository holding the blob that the caller may
   * read (`mayRead`) — the spec lets a registry treat `from` as optional, and
   * airlock stores every blob once. undefined when no readable repository
   * holds it (the caller opens a session): a blob held only where the caller
   * cannot read gets exactly the answer of a blob nobody holds.
   */
  async mount(repo: string, digest: string, from: string | undefined, mayRead: (repo: string) => boolean): Promise<{ digest: Digest; size: number } | undefined> {
    assertName(repo);
    const d = assertDigest(digest);
    return this.blobs.digestLocks.run(d, async () => {
      if (!(await this.readableHolder(d, from, mayRead))) return undefined;
      const size = await this.meta.blobSize(d);
      if (size === undefined || (await this.blobs.size(d)) === undefined) return undefined;
      await this.meta.linkBlob(repo, d, size, Date.now());
      return { digest: d, size };
    });
  }

  /** Whether `from` (first) or another repository the caller may read holds `d`. */
  private async readableHolder(d: Digest, from: string | undefined, mayRead: (repo: string) => boolean): Promise<boolean> {
    if (from !== undefined && isValidRepositoryName(from) && mayRead(from) && (await this.meta.repoBlobSize(from, d)) !== undefined) return true;
    const n = 500;
    for (let last: string | undefined; ; ) {
      const holders = await this.meta.blobRepositories(d, { n, ...(last !== undefined ? { last } : {}) });
      if (holders.some(mayRead)) return true;
      if (holders.length < n) return false;
      last = holders[holders.length - 1];
    }
  }

  private async session(repo: string, id: string): Promise<void> {
    assertName(repo);
    const rec = UPLOAD_ID_RE.test(id) ? await this.meta.getUpload(id) : undefined;
    if (!rec || rec.repo !== repo) throw new RegistryError('BLOB_UPLOAD_UNKNOWN', 'blob upload unknown to registry', { id: id.slice(0, 100) });
  }

  async status(repo: string, id: string): Promise<UploadStatus> {
    await this.session(repo, id);
    return { id, size: (await this.blobs.uploadSize(id)) ?? 0 };
  }

  async patch(repo: string, id: string, body: Readable, chunk: ChunkInfo): Promise<UploadStatus> {
    await this.session(repo, id);
    return this.sessionLocks.run(id, async () => {
      const r = await this.appendChecked(id, body, chunk);
      await this.meta.touchUpload(id, Date.now());
      if (r.stalled) throw new UploadStalledError(r.size, this.blobs.idleTimeoutMs, true);
      return { id, size: r.size };
    });
  }

  private async appendChecked(id: string, body: Readable, chunk: ChunkInfo): Promise<AppendResult> {
    const current = (await this.blobs.uploadSize(id)) ?? 0;
    if (chunk.range) {
      const { start, end } = chunk.range;
      if (start !== current || end < start) {
        body.resume();
        throw new RegistryError('BLOB_UPLOAD_INVALID', `chunk starts at ${start} but the upload has ${current} bytes`, undefined, 416, {
          Range: uploadRange(current),
        });
      }
      if (chunk.length !== undefined && chunk.length !== end - start + 1) {
        body.resume();
        throw new RegistryError('SIZE_INVALID', `Content-Range covers ${end - start + 1} bytes but Content-Length is ${chunk.length}`);
      }
    }
    const expectedLength = chunk.length ?? (chunk.range ? chunk.range.end - chunk.range.start + 1 : undefined);
    try {
      return await this.blobs.append(id, body, current, expectedLength === undefined ? {} : { expectedLength });
    } catch (e) {
      if (e instanceof SizeMismatchError) {
        throw new RegistryError('SIZE_INVALID', `upload chunk: ${e.message}`);
      }
      const full = asStorageFull(e) ?? asStorageUnavailable(e);
      if (full) throw full;
      throw new RegistryError('BLOB_UPLOAD_INVALID', `upload chunk failed: ${(e as Error).message}`);
    }
  }

  /** PUT: appends the optional final chunk, verifies the digest, commits the blob. */
  async complete(repo: string, id: string, digest: string | undefined, body: Readable, chunk: ChunkInfo): Promise<{ digest: Digest; size: number }> {
    await this.session(repo, id);
    if (digest === undefined) {
      body.resume();
      throw new RegistryError('DIGEST_INVALID', 'the digest query parameter is required to complete an upload');
    }
    const d = assertDigest(digest);
    return this.sessionLocks.run(id, async () => {
      let appended: number | undefined;
      if (chunk.length !== 0) {
        const r = await this.appendChecked(id, body, chunk);
        appended = r.size;
        if (r.stalled) {
          await this.meta.touchUpload(id, Date.now());
          throw new UploadStalledError(r.size, this.blobs.idleTimeoutMs, true);
        }
      } else {
        body.resume();
      }
      let size: number;
      try {
        size = await this.blobs.commitUpload(id, d, (n) => this.meta.linkBlob(repo, d, n, Date.now()), appended);
      } catch (e) {
        if (e instanceof DigestMismatchError) {
          throw new RegistryError('DIGEST_INVALID', 'provided digest did not match uploaded content', { expected: d, actual: e.actual });
        }
        throw e;
      }
      // The blob is committed; a row left behind by a failure here only
      // expires with the upload TTL.
      await this.meta.deleteUpload(id).catch(() => undefined);
      return { digest: d, size };
    });
  }

  /** Single-request upload (POST ?digest= with the body). */
  async monolithic(repo: string, digest: string, body: Readable, chunk: ChunkInfo, client: UploadClient = {}): Promise<{ digest: Digest; size: number }> {
    assertDigest(digest);
    const s = await this.start(repo, client);
    try {
      return await this.complete(repo, s.id, digest, body, chunk);
    } catch (e) {
      await this.cancel(repo, s.id).catch(() => undefined);
      if (e instanceof UploadStalledError) throw new UploadStalledError(e.size, this.blobs.idleTimeoutMs, false);
      throw e;
    }
  }

  /** Deletes the session: its bytes first, so that a full metadata store cannot keep them. */
  async cancel(repo: string, id: string): Promise<void> {
    await this.session(repo, id);
    await this.blobs.deleteUpload(id);
    await this.meta.deleteUpload(id);
  }
}
