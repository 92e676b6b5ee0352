/**
 * The one descriptor and platform model (image-spec `descriptor.md`,
 * `image-index.md`), and the one validator for them. No I/O.
 *
 * Two modes, one set of rules:
 * - strict (the registry's PUT validation): every field that is present must
 *   have its spec type; a descriptor needs a non-empty mediaType, a valid
 *   sha256/sha512 digest and a non-negative integer size.
 * - lenient (reading manifests someone else stored: the copy engine,
 *   extract, release, catalog): digest and size are still required (they
 *   are what is fetched and verified), but a missing mediaType reads as '',
 *   a malformed platform reads as absent, and malformed optional fields are
 *   dropped instead of refused.
 */
import { digestOf, isDigest, parseDigest, type Digest } from './digest.js';

export type ParseMode = 'strict' | 'lenient';

/** A platform of an index entry. `os/architecture[/variant]` is what filters match (platformString). */
export interface Platform {
  readonly architecture: string;
  readonly os: string;
  readonly 'os.version'?: string;
  readonly 'os.features'?: readonly string[];
  readonly variant?: string;
  readonly features?: readonly string[];
}

/** A content descriptor: what a manifest says about a blob or a child manifest. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: Digest;
  readonly size: number;
  /** Where a foreign (non-distributable) blob can be fetched; such blobs need not be in the registry. */
  readonly urls?: readonly string[];
  readonly annotations?: Readonly<Record<string, string>>;
  readonly platform?: Platform;
  readonly artifactType?: string;
  /** Embedded content, base64. */
  readonly data?: string;
}

/**
 * A manifest or descriptor that breaks the rules. `message` names the field
 * (`layers[2].digest …`) and never quotes more than a bounded piece of input.
 * The registry answers it as OCI `MANIFEST_INVALID`.
 */
export class ManifestInvalidError extends Error {
  readonly code = 'MANIFEST_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ManifestInvalidError';
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function invalid(message: string): ManifestInvalidError {
  return new ManifestInvalidError(message);
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/**
 * An annotations map. Strict: must map strings to strings. Lenient: the
 * string-valued entries (a non-object reads as absent).
 */
export function parseAnnotations(v: unknown, where: string, mode: ParseMode): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (mode === 'strict') {
    if (!isObject(v) || Object.values(v).some((x) => typeof x !== 'string')) throw invalid(`${where} must map strings to strings`);
    return v as Record<string, string>;
  }
  if (!isObject(v)) return undefined;
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/**
 * A platform. Strict: os and architecture are strings, the optional fields
 * have their spec types. Lenient: os and architecture strings or nothing;
 * only os, architecture and a non-empty variant are kept.
 */
export function parsePlatform(v: unknown, where: string, mode: ParseMode): Platform | undefined {
  if (v === undefined) return undefined;
  if (mode === 'lenient') {
    if (!isObject(v) || typeof v.os !== 'string' || typeof v.architecture !== 'string') return undefined;
    return { os: v.os, architecture: v.architecture, ...(typeof v.variant === 'string' && v.variant !== '' ? { variant: v.variant } : {}) };
  }
  if (!isObject(v)) throw invalid(`${where} must be an object`);
  if (typeof v.os !== 'string' || typeof v.architecture !== 'string') throw invalid(`${where} needs "os" and "architecture" strings`);
  for (const k of ['variant', 'os.version'] as const) if (v[k] !== undefined && typeof v[k] !== 'string') throw invalid(`${where}.${k} must be a string`);
  for (const k of ['features', 'os.features'] as const) if (v[k] !== undefined && !isStringArray(v[k])) throw invalid(`${where}.${k} must be an array of strings`);
  return v as unknown as Platform;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The one descriptor validator. Throws ManifestInvalidError naming `where`
 * (e.g. `layers[2]`). The returned object holds the spec fields only.
 */
export function parseDescriptor(v: unknown, where: string, mode: ParseMode): Descriptor {
  if (!isObject(v)) throw invalid(`${where} must be a descriptor object`);
  const strict = mode === 'strict';
  if (strict && (typeof v.mediaType !== 'string' || v.mediaType === '')) throw invalid(`${where}.mediaType must be a non-empty string`);
  if (typeof v.digest !== 'string' || !isDigest(v.digest)) throw invalid(`${where}.digest is not a valid sha256/sha512 digest`);
  if (typeof v.size !== 'number' || !Number.isSafeInteger(v.size) || v.size < 0) throw invalid(`${where}.size must be a non-negative integer`);
  const d: { -readonly [K in keyof Descriptor]: Descriptor[K] } = { mediaType: typeof v.mediaType === 'string' ? v.mediaType : '', digest: v.digest as Digest, size: v.size };
  if (v.urls !== undefined) {
    if (strict && !isStringArray(v.urls)) throw invalid(`${where}.urls must be an array of strings`);
    // Lenient: any array counts (its length decides whether the blob is foreign).
    if (Array.isArray(v.urls)) d.urls = v.urls.map(String);
  }
  const annotations = parseAnnotations(v.annotations, `${where}.annotations`, mode);
  if (annotations !== undefined) d.annotations = annotations;
  const platform = parsePlatform(v.platform, `${where}.platform`, mode);
  if (platform !== undefined) d.platform = platform;
  if (v.artifactType !== undefined) {
    if (typeof v.artifactType === 'string') d.artifactType = v.artifactType;
    else if (strict) throw invalid(`${where}.artifactType must be a string`);
  }
  if (v.data !== undefined) {
    if (typeof v.data === 'string' && BASE64.test(v.data)) d.data = v.data;
    else if (strict) throw invalid(`${where}.data must be base64`);
    if (strict && d.data !== undefined) {
      const bytes = Buffer.from(d.data, 'base64');
      if (bytes.length !== d.size) throw invalid(`${where}.data holds ${bytes.length} bytes, but size is ${d.size}`);
      if (digestOf(bytes, parseDigest(d.digest).algorithm) !== d.digest) throw invalid(`${where}.data does not hash to ${d.digest}`);
    }
  }
  return d;
}

/** A blob with `urls` (a foreign, non-distributable layer): registries and the copy engine leave it where it is. */
export function isForeign(d: Descriptor): boolean {
  return d.urls !== undefined && d.urls.length > 0;
}

/** `os/arch[/variant]`, the string oc's --filter-by-os matches; `unknown/unknown` without a platform. */
export function platformString(p: Pick<Platform, 'os' | 'architecture' | 'variant'> | undefined): string {
  if (p === undefined) return 'unknown/unknown';
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}
