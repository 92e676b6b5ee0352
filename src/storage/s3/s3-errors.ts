import { StorageUnavailableError } from '../driver.js';

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $fault?: string;
}

function status(e: unknown): number | undefined {
  return (e as SdkError | undefined)?.$metadata?.httpStatusCode;
}

export function isNotFound(e: unknown): boolean {
  const n = (e as SdkError | undefined)?.name;
  return status(e) === 404 || n === 'NotFound' || n === 'NoSuchKey';
}

/** 412: a create-only write (If-None-Match: *) found the object already there. */
export function isPreconditionFailed(e: unknown): boolean {
  return status(e) === 412 || (e as SdkError | undefined)?.name === 'PreconditionFailed';
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

/**
 * The error to throw for a failed S3 call: a network failure, a timeout or a
 * 5xx (after the SDK's retries) becomes StorageUnavailableError (the registry
 * answers 503); anything else keeps its identity with a one-line message.
 * Messages never hold credentials: the SDK's errors name the operation and
 * the endpoint, not the keys.
 */
export function mapS3Error(e: unknown, op: string): Error {
  if (e instanceof StorageUnavailableError) return e;
  const err = e as SdkError;
  const code = err?.code ?? (err as { cause?: { code?: string } })?.cause?.code;
  const s = status(e);
  if ((code && NETWORK_CODES.has(code)) || err?.name === 'TimeoutError' || err?.name === 'RequestTimeout' || (s !== undefined && s >= 500)) {
    const reason = s !== undefined && s >= 500 ? `${op}: HTTP ${s} ${err?.name ?? ''}`.trim() : `${op}: ${code ?? err?.name ?? 'network error'}${err?.message ? ` (${oneLine(err.message)})` : ''}`;
    return new StorageUnavailableError('S3', reason);
  }
  if (err?.name === 'CredentialsProviderError') {
    return new StorageUnavailableError('S3', `${op}: no AWS credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)`);
  }
  if (e instanceof Error) {
    e.message = `S3 ${op}: ${oneLine(e.message) || err.name || 'failed'}${s !== undefined ? ` (HTTP ${s})` : ''}`;
    return e;
  }
  return new Error(`S3 ${op} failed`);
}

function oneLine(s: string): string {
  return s.split('\n')[0]!.slice(0, 200);
}
