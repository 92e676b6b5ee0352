/**
 * When and how long to retry a registry request: exponential backoff with
 * jitter, honouring `Retry-After` on 429/503, for 408/429/5xx answers and
 * for connection resets, refusals and timeouts.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryPolicy {
  /** Retries after the first attempt (oc-mirror's --retry-times; 0 = none). */
  readonly times: number;
  /** Base delay in ms; attempt n waits about delayMs * 2^n (± jitter). */
  readonly delayMs: number;
  /** Cap for one computed wait. */
  readonly maxDelayMs: number;
  /** Cap for a server's Retry-After. */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { times: 5, delayMs: 250, maxDelayMs: 30_000, maxRetryAfterMs: 300_000 };

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status);
}

const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** True for network-level failures worth another attempt. */
export function isRetryableError(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur instanceof Error && depth < 5; cur = cur.cause, depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && RETRYABLE_CODES.has(code)) return true;
    if ((cur as { retryable?: unknown }).retryable === true) return true;
  }
  return false;
}

/** Parses `Retry-After` (delta seconds or an HTTP date) into ms; undefined if absent or invalid. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * Wait before retry number `attempt` (0-based). With a Retry-After the server's
 * value wins (capped) plus up to 10 % jitter; otherwise full-range "equal
 * jitter": half the exponential step fixed, half random.
 */
export function backoffDelay(attempt: number, policy: RetryPolicy, retryAfterMs?: number, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined) {
    const base = Math.min(retryAfterMs, policy.maxRetryAfterMs);
    return Math.round(base + base * 0.1 * random());
  }
  const step = Math.min(policy.maxDelayMs, policy.delayMs * 2 ** attempt);
  return Math.round(step / 2 + (step / 2) * random());
}

/** Sleeps `ms`, rejecting early when `signal` aborts. */
export async function waitFor(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return;
  await sleep(ms, undefined, { signal });
}
