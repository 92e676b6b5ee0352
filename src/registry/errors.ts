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

export class RegistryError extends Error {
  readonly status: number;
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
