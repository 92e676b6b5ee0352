import { parseDigest, InvalidDigestError, type Digest } from '../oci/digest.js';
import { isValidRepositoryName, isValidTag, MAX_NAME_LENGTH } from '../oci/names.js';
import { RegistryError } from './errors.js';

export function assertName(name: string): void {
  if (!isValidRepositoryName(name)) {
    const why = name.length > MAX_NAME_LENGTH ? `longer than ${MAX_NAME_LENGTH} characters` : 'does not match [a-z0-9]+([._-][a-z0-9]+)*(/...)*';
    throw new RegistryError('NAME_INVALID', `invalid repository name: ${why}`, { name: name.slice(0, 300) });
  }
}

export function assertDigest(d: string): Digest {
  try {
    return parseDigest(d).digest;
  } catch (e) {
    throw new RegistryError('DIGEST_INVALID', e instanceof InvalidDigestError ? e.message : 'invalid digest');
  }
}

export type ManifestReference = { readonly digest: Digest } | { readonly tag: string };

/**
 * A manifest reference is a digest when it contains ':', otherwise a tag.
 * An invalid tag is refused with 400 MANIFEST_INVALID: the code for a push
 * (the spec's code list has no TAG_INVALID; that one is Docker schema 1's).
 */
export function parseReference(ref: string): ManifestReference {
  if (ref.includes(':')) return { digest: assertDigest(ref) };
  assertTag(ref);
  return { tag: ref };
}

/**
 * For GET, HEAD and DELETE: a tag that cannot exist names no manifest, so it
 * is undefined (the caller answers 404 MANIFEST_UNKNOWN). A malformed digest
 * is still 400 DIGEST_INVALID.
 */
export function lookupReference(ref: string): ManifestReference | undefined {
  if (ref.includes(':')) return { digest: assertDigest(ref) };
  return isValidTag(ref) ? { tag: ref } : undefined;
}

export function assertTag(tag: string): void {
  if (!isValidTag(tag)) {
    throw new RegistryError('MANIFEST_INVALID', 'invalid tag: must match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}', { tag: tag.slice(0, 200) });
  }
}

/** Parses `n` for paginated listings. */
export function parsePageSize(raw: string | undefined, max: number): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw new RegistryError('PAGINATION_NUMBER_INVALID', 'n must be a non-negative integer');
  const n = Number(raw);
  if (n > max) throw new RegistryError('PAGINATION_NUMBER_INVALID', `n must not exceed ${max}`, { max });
  return n;
}
