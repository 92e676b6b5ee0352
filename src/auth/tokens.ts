/**
 * Signed tokens (ES256 JWTs, `kid` in the header).
 *
 * Access token (aud = service): what /v2 accepts as `Bearer`.
 *   { iss, aud, sub?, uid?, iat, nbf, exp, jti, gen, access: [{type, name, actions}] }
 *   `sub` and `uid` are absent for anonymous tokens; `uid` is the account's
 *   never-reused identity and `gen` its generation: a token is honoured only
 *   while the account of that name still has both.
 * Refresh token (aud = `<service>#refresh`, long-lived, single use): only
 *   /token accepts it (grant_type=refresh_token) and answers with a new
 *   access token whose scopes are computed from the account's current grants
 *   and a new refresh token of the same family (`fam`).
 *   { iss, aud, sub, uid, gen, fam, jti, iat, nbf, exp }
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

/** The account a token was issued to: name, identity, generation. */
export interface TokenSubject {
  readonly name: string;
  readonly id: string;
  readonly generation: number;
}

export interface VerifiedAccess {
  /** The account; undefined for anonymous tokens. */
  readonly subject: TokenSubject | undefined;
  readonly access: AccessEntry[];
}

export interface VerifiedRefresh {
  readonly subject: TokenSubject;
  readonly jti: string;
  readonly family: string;
}

export interface IssuedRefresh extends IssuedToken {
  readonly jti: string;
  readonly expiresAt: number;
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

/** The subject of a token issued to an account; undefined for tokens without an identity (issued before identities existed). */
function subjectOf(p: JWTPayload): TokenSubject | undefined {
  if (typeof p.sub !== 'string' || typeof p.uid !== 'string' || p.uid === '' || typeof p.gen !== 'number') return undefined;
  return { name: p.sub, id: p.uid, generation: p.gen };
}

/** Whether `account` is still the one `s` was issued to: same name, same identity, same generation. */
export function isCurrentSubject(s: TokenSubject, account: { name: string; id: string; generation: number } | undefined): boolean {
  return account !== undefined && account.name === s.name && account.id === s.id && account.generation === s.generation;
}

export class TokenIssuer {
  constructor(private readonly key: SigningKey, readonly opts: TokenOptions) {}

  get refreshAudience(): string {
    return `${this.opts.service}#refresh`;
  }

  private async sign(claims: JWTPayload, sub: string | undefined, aud: string, ttl: number, jti = randomUUID()): Promise<IssuedToken> {
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: this.key.kid, typ: 'JWT' })
      .setIssuer(this.opts.issuer)
      .setAudience(aud)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + ttl)
      .setJti(jti);
    if (sub !== undefined) jwt.setSubject(sub);
    return { token: await jwt.sign(this.key.privateKey), expiresIn: ttl, issuedAt: new Date(now * 1000) };
  }

  issueAccess(subject: TokenSubject | undefined, access: AccessEntry[]): Promise<IssuedToken> {
    const claims = subject ? { uid: subject.id, gen: subject.generation, access } : { gen: 0, access };
    return this.sign(claims, subject?.name, this.opts.service, this.opts.ttlSeconds);
  }

  /** A refresh token of `family`; the caller records it (AuthStore.recordRefresh) before handing it out. */
  async issueRefresh(subject: TokenSubject, family: string): Promise<IssuedRefresh> {
    const jti = randomUUID();
    const t = await this.sign({ uid: subject.id, gen: subject.generation, fam: family }, subject.name, this.refreshAudience, this.opts.refreshTtlSeconds, jti);
    return { ...t, jti, expiresAt: t.issuedAt.getTime() + t.expiresIn * 1000 };
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
    if (!p || access === undefined) return undefined;
    if (p.sub === undefined) return { subject: undefined, access };
    const subject = subjectOf(p);
    return subject ? { subject, access } : undefined;
  }

  async verifyRefresh(token: string): Promise<VerifiedRefresh | undefined> {
    const p = await this.verify(token, this.refreshAudience);
    const subject = p ? subjectOf(p) : undefined;
    if (!p || !subject || typeof p.fam !== 'string' || typeof p.jti !== 'string') return undefined;
    return { subject, jti: p.jti, family: p.fam };
  }
}
