/**
 * Password/token logins (Basic auth on /token or /v2, and the POST form).
 *
 * Accounts are read from the store on every login, so accounts added,
 * changed or removed by the CLI take effect at once. Verified secrets are
 * remembered for 5 minutes by SHA-256 (never in clear), keyed to the stored
 * hash: a password change or removal invalidates the entry immediately. This
 * keeps bcrypt off the hot path when clients send Basic auth on every request.
 *
 * Every failure answers the same 401 "authentication required" — unknown
 * account and wrong secret are indistinguishable, in content and in time.
 */
import { createHash } from 'node:crypto';
import { RegistryError } from '../registry/errors.js';
import type { AuditLog } from './audit.js';
import { verifySecret } from './passwords.js';
import { isRefusal, type LoginLimiter, type LoginRefusal } from './rate-limit.js';
import type { Account, AuthStore } from './store.js';

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/** Decodes `Basic base64(user:pass)`; undefined when it is not well-formed Basic auth. */
export function parseBasic(header: string | undefined): Credentials | undefined {
  const m = header?.match(/^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i);
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

const CACHE_MS = 5 * 60_000;
const CACHE_MAX = 1000;

function tooMany(r: LoginRefusal): RegistryError {
  return new RegistryError('TOOMANYREQUESTS', r.reason, undefined, 429, { 'Retry-After': String(r.retryAfterSeconds) });
}

export class Authenticator {
  private readonly verified = new Map<string, { hash: string; at: number }>();
  /** Checks in flight by (address, credentials): the same login sent N times at once is compared once. */
  private readonly checking = new Map<string, Promise<boolean>>();

  constructor(
    private readonly store: AuthStore,
    private readonly limiter: LoginLimiter,
    private readonly audit: AuditLog,
  ) {}

  /**
   * The account the credentials log into; otherwise throws UNAUTHORIZED
   * (with `challenge` as headers) or TOOMANYREQUESTS. The limiter is asked
   * before anything is compared (see rate-limit.ts).
   */
  async login(c: Credentials, ip: string, via: 'token' | 'basic', challenge: Record<string, string>): Promise<Account> {
    const blocked = await this.limiter.blocked(ip, c.username);
    if (blocked) throw tooMany(blocked);
    const account = await this.store.get(c.username);
    const key = `${c.username}\0${createHash('sha256').update(c.password).digest('hex')}`;
    const hit = this.verified.get(key);
    if (account && hit && hit.hash === account.secretHash && Date.now() - hit.at < CACHE_MS) {
      // Token requests are logins worth a line each; Basic auth repeated on every /v2 request is not.
      if (via === 'token') this.audit.record({ audit: 'login', user: account.name, ip, via, ok: true });
      return account;
    }
    const ok = await this.check(`${ip}\0${key}`, ip, c, account?.secretHash);
    if (!ok || !account) {
      this.audit.record({ audit: 'login', user: c.username.slice(0, 80), ip, via, ok: false });
      throw new RegistryError('UNAUTHORIZED', 'authentication required', undefined, 401, challenge);
    }
    if (this.verified.size >= CACHE_MAX) this.verified.clear();
    this.verified.set(key, { hash: account.secretHash, at: Date.now() });
    this.audit.record({ audit: 'login', user: account.name, ip, via, ok: true });
    return account;
  }

  /** One bcrypt compare per (address, credentials) at a time, under a limiter reservation. */
  private check(flight: string, ip: string, c: Credentials, hash: string | undefined): Promise<boolean> {
    const running = this.checking.get(flight);
    if (running) return running;
    const p = this.limiter.reserve(ip, c.username).then(async (r) => {
      if (isRefusal(r)) throw tooMany(r);
      let ok = false;
      try {
        ok = (await verifySecret(c.password, hash)) && hash !== undefined;
      } finally {
        await r.release(ok);
      }
      return ok;
    });
    this.checking.set(flight, p);
    const forget = (): void => {
      this.checking.delete(flight);
    };
    p.then(forget, forget);
    return p;
  }
}
