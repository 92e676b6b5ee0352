import { createHash, type Hash } from 'node:crypto';
import { quoted } from '../util/quoted.js';

/** A content digest `<algorithm>:<encoded>`, validated by {@link parseDigest}. */
export type Digest = string & { readonly __brand: 'Digest' };

export type DigestAlgorithm = 'sha256' | 'sha512';

const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };

export interface ParsedDigest {
  readonly algorithm: DigestAlgorithm;
  readonly hex: string;
  readonly digest: Digest;
}

/** Thrown for a string that is not a supported, well-formed digest. */
export class InvalidDigestError extends Error {
  constructor(readonly input: string, reason: string) {
    super(`invalid digest ${quoted(input, 80)}: ${reason}`);
    this.name = 'InvalidDigestError';
  }
}

/**
 * Parses a digest. Only sha256 and sha512 with lowercase hex of the exact
 * length are accepted: the encoded part is used to build storage paths, so
 * anything looser would be a path-traversal hole.
 */
export function parseDigest(input: string): ParsedDigest {
  const colon = input.indexOf(':');
  if (colon <= 0) throw new InvalidDigestError(input, 'expected <algorithm>:<hex>');
  const algorithm = input.slice(0, colon);
  const hex = input.slice(colon + 1);
  if (algorithm !== 'sha256' && algorithm !== 'sha512') {
    throw new InvalidDigestError(input, `unsupported algorithm ${quoted(algorithm, 80)} (sha256 and sha512 are supported)`);
  }
  const want = HEX_LENGTH[algorithm];
  if (hex.length !== want || !/^[0-9a-f]+$/.test(hex)) {
    throw new InvalidDigestError(input, `${algorithm} needs ${want} lowercase hex characters`);
  }
  return { algorithm, hex, digest: input as Digest };
}

export function isDigest(input: string): boolean {
  try {
    parseDigest(input);
    return true;
  } catch {
    return false;
  }
}

export function digestOf(data: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): Digest {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}` as Digest;
}

/** Incremental hasher; `digest()` may be called once. */
export class DigestHasher {
  private readonly hash: Hash;
  private bytes = 0;
  constructor(readonly algorithm: DigestAlgorithm = 'sha256') {
    this.hash = createHash(algorithm);
  }
  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.bytes += chunk.byteLength;
  }
  get size(): number {
    return this.bytes;
  }
  digest(): Digest {
    return `${this.algorithm}:${this.hash.digest('hex')}` as Digest;
  }
}
