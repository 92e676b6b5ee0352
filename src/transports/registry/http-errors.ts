/** Errors of registry HTTP exchanges, and reading error bodies safely. */
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { isRetryableStatus, parseRetryAfter } from './retry.js';

type Response = Dispatcher.ResponseData;

/** A registry answer that is not what the operation needed. */
export class RegistryHttpError extends Error {
  readonly code = 'ERR_REGISTRY_HTTP';
  constructor(
    message: string,
    readonly status: number,
    /** First OCI error code of the body (MANIFEST_UNKNOWN…), if any. */
    readonly ociCode: string | undefined,
    /** The answer's Retry-After, in ms. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'RegistryHttpError';
  }
  /** 5xx/429/408 are transient: the whole operation may be retried. */
  get retryable(): boolean {
    return isRetryableStatus(this.status);
  }
}

/**
 * A registry that could not be reached at all (refused, unresolvable, plain
 * http, untrusted TLS). No `code`: the message already says it all.
 */
export class RegistryUnreachableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RegistryUnreachableError';
  }
}

/** Reads at most `limit` bytes of a body as text and discards the rest. */
export async function readLimited(body: Readable, limit = 64 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body as AsyncIterable<Buffer>) {
    if (n < limit) chunks.push(c.subarray(0, limit - n));
    n += c.length;
    if (n >= limit) break;
  }
  body.destroy();
  return Buffer.concat(chunks).toString('utf8');
}

/** Turns an unexpected response into a RegistryHttpError (consumes the body). */
export async function httpError(res: Response, what: string): Promise<RegistryHttpError> {
  let text = '';
  try {
    text = await readLimited(res.body);
  } catch {
    // the body is informative only
  }
  let ociCode: string | undefined;
  let detail = text.trim().slice(0, 300);
  try {
    const doc = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    const first = doc.errors?.[0];
    if (first?.code) {
      ociCode = first.code;
      detail = `${first.code}${first.message ? `: ${first.message}` : ''}`;
    }
  } catch {
    // not an OCI error body
  }
  const ra = res.headers['retry-after'];
  const retryAfterMs = parseRetryAfter(Array.isArray(ra) ? ra[0] : ra);
  return new RegistryHttpError(`${what}: HTTP ${res.statusCode}${detail ? ` (${detail})` : ''}`, res.statusCode, ociCode, retryAfterMs);
}

const CERT_CODES = /^(UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|CERT_|ERR_TLS_CERT|HOSTNAME_MISMATCH)/;

/** One line saying why a registry could not be reached (OpenSSL messages are multi-line). */
export function describeConnectError(e: unknown): string {
  const code = (e as { code?: unknown } | undefined)?.code;
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER') return 'the server does not speak TLS (plain http?)';
  if (typeof code === 'string' && CERT_CODES.test(code)) return `its TLS certificate is not trusted (${code})`;
  const msg = e instanceof Error ? e.message : String(e);
  return (msg.split('\n')[0] ?? msg) + (typeof code === 'string' && !msg.includes(code) ? ` (${code})` : '');
}

