/**
 * Signed tokens (ES256 JWTs, `kid` in the header).
 *
 * Access token (aud = service): what /v2 accepts as `Bearer`.
 *   { iss, aud, sub?, iat, nbf, exp, jti, gen, access: [{type, name, actions}] }
 *   `sub` is absent for anonymous tokens; `gen` is the account generation.
 * Refresh token (aud = `<service>#refresh`, long-lived): only /token accepts
 *   it (grant_type=refresh_token) and answers with a new access token whose
 *   scopes are computed from the account's current grants.
 * The audiences differ, so neither can stand in for the other. Only ES256
 * with our key id is accepted: `alg: none`, HMAC, other keys, expired
 * tokens and any edited byte are rejected by the signature check.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, type JWTPayload } from 'jose';
import type { AccessEntry } from './scopes.js';
import type { SigningKey } from './signing-key.js';

export interface TokenOptions {
  readonly issuer: string;
  readonly service: string;
  readonly ttlSeconds: number;
  readonly refreshTtlSeconds: number;
}

export interface IssuedToken {
  readonly token: string;
  readonly expiresIn: number;
  readonly issuedAt: Date;
}

export interface VerifiedAccess {
  /** Account name; undefined for anonymous tokens. */
  readonly sub: string | undefined;
  readonly gen: number;
  readonly access: AccessEntry[];
}

export interface VerifiedRefresh {
  readonly sub: string;
  readonly gen: number;
}

function accessEntries(v: unknown): AccessEntry[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: AccessEntry[] = [];
  for (const e of v) {
    const o = e as Partial<AccessEntry> | null;
    if (!o || typeof o.type !== 'string' || typeof o.name !== 'string' || !Array.isArray(o.actions)) return undefined;
    if (!o.actions.every((a) => typeof a === 'string')) return undefined;
    out.push({ type: o.type, name: o.name, actions: [...o.actions] });
  }
  return out;
}

export class TokenIssuer {
  constructor(private readonly key: SigningKey, readonly opts: TokenOptions) {}

  get refreshAudience(): string {
    return `${this.opts.service}#refresh`;
  }

  private async sign(claims: JWTPayload, sub: string | undefined, aud: string, ttl: number): Promise<IssuedToken> {
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: this.key.kid, typ: 'JWT' })
      .setIssuer(this.opts.issuer)
      .setAudience(aud)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + ttl)
      .setJti(randomUUID());
    if (sub !== undefined) jwt.setSubject(sub);
    return { token: await jwt.sign(this.key.privateKey), expiresIn: ttl, issuedAt: new Date(now * 1000) };
  }

  issueAccess(sub: string | undefined, gen: number, access: AccessEntry[]): Promise<IssuedToken> {
    return this.sign({ gen, access }, sub, this.opts.service, this.opts.ttlSeconds);
  }

  issueRefresh(sub: string, gen: number): Promise<IssuedToken> {
    return this.sign({ gen }, sub, this.refreshAudience, this.opts.refreshTtlSeconds);
  }

  private async verify(token: string, aud: string): Promise<JWTPayload | undefined> {
    try {
      const { payload } = await jwtVerify(
        token,
        async (header) => {
          if (header.kid !== this.key.kid) throw new Error('unknown key id');
          return this.key.publicKey;
        },
        { algorithms: ['ES256'], issuer: this.opts.issuer, audience: aud, requiredClaims: ['exp', 'iat'] },
      );
      return payload;
    } catch {
      return undefined;
    }
  }

  /** The claims of a valid access token, or undefined (bad signature, other key, expired, malformed…). */
  async verifyAccess(token: string): Promise<VerifiedAccess | undefined> {
    const p = await this.verify(token, this.opts.service);
    const access = accessEntries(p?.access);
    if (!p || access === undefined || typeof p.gen !== 'number') return undefined;
    return { sub: p.sub, gen: p.gen, access };
  }

  async verifyRefresh(token: string): Promise<VerifiedRefresh | undefined> {
    const p = await this.verify(token, this.refreshAudience);
    if (!p || typeof p.sub !== 'string' || typeof p.gen !== 'number') return undefined;
    return { sub: p.sub, gen: p.gen };
  }
}
