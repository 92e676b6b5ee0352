/**
 * The `WWW-Authenticate: Bearer realm=…,service=…,scope=…` challenge.
 *
 * The realm must be an absolute URL the client can reach: the configured
 * public URL when there is one, else the scheme we serve plus the request's
 * Host header (checked to be a plain host[:port], so a forged Host cannot
 * inject header syntax; it only ever redirects its own sender).
 */
import type { IncomingMessage } from 'node:http';
import { isValidRepositoryName } from '../oci/names.js';
import type { AccessNeed } from '../server/access.js';

export interface ChallengeOptions {
  /** e.g. https://mirror.example.com:5000 (no trailing slash); overrides the Host header. */
  readonly publicUrl?: string | undefined;
  /** Whether this server speaks TLS (scheme of the derived realm). */
  readonly secure: boolean;
  readonly service: string;
  /** Fallback host[:port] when the request has no usable Host header. */
  readonly fallbackHost: () => string;
}

export const HOST_RE = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

export const TOKEN_PATH = '/token';

export function realmFor(req: IncomingMessage, o: ChallengeOptions): string {
  if (o.publicUrl) return `${o.publicUrl.replace(/\/+$/, '')}${TOKEN_PATH}`;
  const host = req.headers.host;
  return `${o.secure ? 'https' : 'http'}://${host && HOST_RE.test(host) ? host : o.fallbackHost()}${TOKEN_PATH}`;
}

/** The scope a request needs, as a token scope string (undefined for ping or unusable names). */
export function scopeFor(need: AccessNeed): string | undefined {
  if ('catalog' in need) return 'registry:catalog:*';
  if ('ping' in need || 'admin' in need) return undefined;
  return isValidRepositoryName(need.repo) ? `repository:${need.repo}:${need.actions.join(',')}` : undefined;
}

export function bearerChallenge(req: IncomingMessage, o: ChallengeOptions, need: AccessNeed, error?: 'invalid_token' | 'insufficient_scope'): Record<string, string> {
  const parts = [`realm="${realmFor(req, o)}"`, `service="${o.service}"`];
  const scope = scopeFor(need);
  if (scope) parts.push(`scope="${scope}"`);
  if (error) parts.push(`error="${error}"`);
  return { 'WWW-Authenticate': `Bearer ${parts.join(',')}` };
}
