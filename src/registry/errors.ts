import { StorageUnavailableError } from '../storage/driver.js';
import { MetadataUnavailableError } from '../metadata/store.js';

/**
 * Registry errors carry the OCI distribution-spec error code and the HTTP
 * status they are answered with. The HTTP adapter serializes them once, as
 *   {"errors":[{"code":"…","message":"…","detail":…}]}
 */
export type OciErrorCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS'
  // Docker Registry V2 codes that OCI does not list but clients know:
  | 'PAGINATION_NUMBER_INVALID'
  | 'UNAVAILABLE';

const DEFAULT_STATUS: Record<OciErrorCode, number> = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 405,
  TOOMANYREQUESTS: 429,
  PAGINATION_NUMBER_INVALID: 400,
  UNAVAILABLE: 503,
};

/**
 * The OCI error envelope `{"errors":[{"code","message"[,"detail"]}]}`,
 * serialized here only: the HTTP adapter (server/http-util.ts) and the
 * framework-free /token endpoint (auth/token-endpoint.ts) both answer with it.
 */
export function ociErrorBody(code: string, message: string, detail?: unknown): string {
  return JSON.stringify({ errors: [{ code, message, ...(detail === undefined ? {} : { detail }) }] });
}

export class RegistryError extends Error {
  readonly status: number;
  /**
   * Answer, then close the connection when the request body was not read to
   * its end (a stalled or refused upload): the rest is not worth draining.
   */
  readonly closeConnection: boolean = false;
  constructor(
    readonly code: OciErrorCode,
    message: string,
    readonly detail?: unknown,
    status?: number,
    /** Extra response headers (e.g. Range on a 416). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'RegistryError';
    this.status = status ?? DEFAULT_STATUS[code];
  }
}

export function isRegistryError(e: unknown): e is RegistryError {
  return e instanceof RegistryError;
}

/** Seconds a client is told to wait when the blob store cannot be reached. */
export const STORAGE_UNAVAILABLE_RETRY_AFTER = 10;

/** The 503 UNAVAILABLE answer for a StorageUnavailableError (the object store is down or unreachable), else undefined. */
export function asStorageUnavailable(e: unknown): RegistryError | undefined {
  if (!(e instanceof StorageUnavailableError) && !(e instanceof MetadataUnavailableError)) return undefined;
  return new RegistryError('UNAVAILABLE', `${e.message}; nothing was stored, retry later`, undefined, 503, {
    'Retry-After': String(STORAGE_UNAVAILABLE_RETRY_AFTER),
  });
}

/** Error codes of a full device, quota or metadata database. */
const STORAGE_FULL: Record<string, string> = {
  ENOSPC: 'no space left on the storage device (ENOSPC)',
  EDQUOT: 'disk quota exceeded (EDQUOT)',
  SQLITE_FULL: 'the metadata database cannot grow (SQLITE_FULL)',
};

/** Seconds a client is told to wait after a storage-full refusal. */
export const STORAGE_FULL_RETRY_AFTER = 60;

/**
 * 503 UNAVAILABLE with Retry-After: the write failed for lack of space. It
 * is a server condition (clients retry 5xx), not a fault of the request.
 */
export class StorageFullError extends RegistryError {
  override readonly closeConnection = true;
  constructor(readonly reason: string) {
    super('UNAVAILABLE', `storage full: ${reason}, free space and retry`, undefined, 503, { 'Retry-After': String(STORAGE_FULL_RETRY_AFTER) });
    this.name = 'StorageFullError';
  }
}

/** The StorageFullError for `e` when it is an ENOSPC/EDQUOT/SQLITE_FULL error from storage or the metadata store. */
export function asStorageFull(e: unknown): StorageFullError | undefined {
  if (e instanceof StorageFullError) return e;
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  const reason = typeof code === 'string' ? STORAGE_FULL[code] : undefined;
  return reason === undefined ? undefined : new StorageFullError(reason);
}
