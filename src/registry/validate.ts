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

/** A manifest reference is a digest when it contains ':', otherwise a tag. */
export function parseReference(ref: string): ManifestReference {
  if (ref.includes(':')) return { digest: assertDigest(ref) };
  if (!isValidTag(ref)) {
    throw new RegistryError('MANIFEST_INVALID', 'invalid tag: must match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}', { tag: ref.slice(0, 200) });
  }
  return { tag: ref };
}

/** Parses `n` for paginated listings. */
export function parsePageSize(raw: string | undefined, max: number): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw new RegistryError('PAGINATION_NUMBER_INVALID', 'n must be a non-negative integer');
  const n = Number(raw);
  if (n > max) throw new RegistryError('PAGINATION_NUMBER_INVALID', `n must not exceed ${max}`, { max });
  return n;
}
