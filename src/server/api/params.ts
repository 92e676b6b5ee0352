/** Query parameters of the JSON API: opaque cursors and page sizes. */
import { RegistryError } from '../../registry/errors.js';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

const KEY_RE = /^[A-Za-z0-9._/-]{1,255}$/;

/** Cursors are base64url of the last item's key (a name or tag); clients pass them back unchanged. */
export function encodeCursor(key: string | undefined): string | null {
  return key === undefined ? null : Buffer.from(key, 'utf8').toString('base64url');
}

export function decodeCursor(raw: string | null): string | undefined {
  if (raw === null || raw === '') return undefined;
  const key = /^[A-Za-z0-9_-]{1,400}$/.test(raw) ? Buffer.from(raw, 'base64url').toString('utf8') : '';
  if (!KEY_RE.test(key)) throw new RegistryError('PAGINATION_NUMBER_INVALID', 'invalid cursor: pass back the "next" value of the previous page', undefined, 400);
  return key;
}

export function parseLimit(raw: string | null): number {
  if (raw === null || raw === '') return DEFAULT_LIMIT;
  if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_LIMIT) {
    throw new RegistryError('PAGINATION_NUMBER_INVALID', `limit must be an integer from 1 to ${MAX_LIMIT}`, { max: MAX_LIMIT }, 400);
  }
  return Number(raw);
}
