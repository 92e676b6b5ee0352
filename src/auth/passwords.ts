/**
 * Secrets: generation, bcrypt hashing (bcryptjs, cost 10) and verification.
 * A secret never leaves this module except as a hash, and is never logged.
 */
import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';

export const BCRYPT_COST = 10;
export const MIN_PASSWORD_LENGTH = 8;
/** bcrypt ignores everything after 72 bytes; longer passwords are refused rather than silently truncated. */
export const MAX_SECRET_BYTES = 72;

const BCRYPT_RE = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

export function isBcryptHash(s: string): boolean {
  return BCRYPT_RE.test(s);
}

/** Why `pw` is not acceptable as a password, or undefined. */
export function passwordProblem(pw: string): string | undefined {
  if (pw.length < MIN_PASSWORD_LENGTH) return `a password needs at least ${MIN_PASSWORD_LENGTH} characters`;
  if (Buffer.byteLength(pw) > MAX_SECRET_BYTES) return `a password may have at most ${MAX_SECRET_BYTES} bytes`;
  if ([...pw].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)) return 'a password may not contain control characters';
  return undefined;
}

/** 24 characters from a 144-bit random value (URL-safe base64): admin passwords. */
export function randomPassword(): string {
  return randomBytes(18).toString('base64url');
}

/** 43 characters from a 256-bit random value (URL-safe base64): robot tokens. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): Promise<string> {
  return bcrypt.hash(secret, BCRYPT_COST);
}

let dummy: Promise<string> | undefined;

/**
 * True when `secret` matches `hash`. With `hash` undefined (unknown account)
 * a comparison against a dummy hash still runs, so the answer takes as long
 * as for a known account.
 */
export async function verifySecret(secret: string, hash: string | undefined): Promise<boolean> {
  if (hash === undefined || !isBcryptHash(hash)) {
    await bcrypt.compare(secret, await (dummy ??= bcrypt.hash(randomToken(), BCRYPT_COST)));
    return false;
  }
  if (Buffer.byteLength(secret) > MAX_SECRET_BYTES) {
    await bcrypt.compare(secret.slice(0, MAX_SECRET_BYTES), hash);
    return false;
  }
  return bcrypt.compare(secret, hash);
}
