/**
 * Image names as registries and `oc image mirror` spell them:
 *
 *   [HOST[:PORT]/]REPOSITORY[:TAG][@DIGEST]
 *
 *   HOST  a DNS name (`quay.io`, `localhost`), an IPv4 address
 *         (`127.0.0.1`) or a bracketed IPv6 address (`[::1]`)
 *   REPOSITORY  OCI distribution name grammar, nested (`a/b/c`)
 *
 * The first path component is a host when it contains `.` or `:`, is
 * `localhost`, starts with `[`, or has an uppercase letter (Docker's rule);
 * otherwise the name has no host. Parsing never guesses a default registry:
 * callers that need one (registry transports) reject host-less names.
 */
import { InvalidDigestError, parseDigest, type Digest } from '../oci/digest.js';
import { MAX_NAME_LENGTH, isValidRepositoryName, isValidTag } from '../oci/names.js';
import { quoted } from '../util/quoted.js';

export interface ImageName {
  /** `host[:port]` exactly as written (IPv6 in brackets), or undefined. */
  readonly registry: string | undefined;
  readonly repository: string;
  readonly tag: string | undefined;
  readonly digest: Digest | undefined;
}

/** An image name with a registry host. */
export interface RegistryRef extends ImageName {
  readonly registry: string;
}

export class InvalidReferenceError extends Error {
  constructor(readonly input: string, reason: string) {
    super(`invalid image reference ${quoted(input)}: ${reason}`);
    this.name = 'InvalidReferenceError';
  }
}

export interface ParseNameOptions {
  /** Accept `*` in the tag (oc's `repo:4.12*` globs). Default false. */
  readonly allowTagGlob?: boolean;
}

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST_RE = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]{1,5})?$`);

/** True for `host`, `host:port`, `[v6]`, `[v6]:port` with a valid port. */
export function isValidRegistryHost(host: string): boolean {
  if (!HOST_RE.test(host)) return false;
  const port = /\]?:([0-9]{1,5})$/.exec(host.startsWith('[') ? host.slice(host.indexOf(']')) : host);
  if (port && (Number(port[1]) < 1 || Number(port[1]) > 65535)) return false;
  if (host.startsWith('[') && !host.slice(1, host.indexOf(']')).includes(':')) return false;
  return true;
}

function looksLikeHost(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost' || component.startsWith('[') || component !== component.toLowerCase();
}

/** Parses `[HOST/]REPO[:TAG][@DIGEST]`. Throws InvalidReferenceError. */
export function parseImageName(input: string, opts: ParseNameOptions = {}): ImageName {
  if (input === '') throw new InvalidReferenceError(input, 'empty reference');
  let rest = input;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    try {
      digest = parseDigest(rest.slice(at + 1)).digest;
    } catch (e) {
      throw new InvalidReferenceError(input, e instanceof InvalidDigestError ? e.message : String(e));
    }
    rest = rest.slice(0, at);
  }
  let registry: string | undefined;
  const slash = rest.indexOf('/');
  if (slash > 0 && looksLikeHost(rest.slice(0, slash))) {
    registry = rest.slice(0, slash);
    if (!isValidRegistryHost(registry)) throw new InvalidReferenceError(input, `invalid registry host ${quoted(registry, 80)}`);
    rest = rest.slice(slash + 1);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon >= 0 && !rest.slice(colon).includes('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    const checked = opts.allowTagGlob ? tag.replace(/\*/g, 'a') : tag;
    if (!isValidTag(checked)) throw new InvalidReferenceError(input, `invalid tag ${quoted(tag, 80)}`);
  }
  if (rest === '') throw new InvalidReferenceError(input, 'missing repository name');
  if (rest.length > MAX_NAME_LENGTH) throw new InvalidReferenceError(input, `repository name longer than ${MAX_NAME_LENGTH} characters`);
  if (!isValidRepositoryName(rest)) {
    throw new InvalidReferenceError(input, `invalid repository name ${quoted(rest, 80)} (lowercase letters, digits, separators . _ __ - and / between components)`);
  }
  return { registry, repository: rest, tag, digest };
}

/** Parses a name that MUST carry a registry host. */
export function parseRegistryRef(input: string, opts: ParseNameOptions = {}): RegistryRef {
  const n = parseImageName(input, opts);
  if (n.registry === undefined) {
    throw new InvalidReferenceError(input, 'no registry host; write it fully qualified, e.g. registry.example.com:5000/' + n.repository);
  }
  return n as RegistryRef;
}

/** Inverse of parseImageName: parseImageName(formatImageName(n)) deep-equals n. */
export function formatImageName(n: ImageName): string {
  const host = n.registry === undefined ? '' : `${n.registry}/`;
  return `${host}${n.repository}${n.tag === undefined ? '' : `:${n.tag}`}${n.digest === undefined ? '' : `@${n.digest}`}`;
}

/** `host/repository` (no tag or digest). */
export function repositoryOf(n: ImageName): string {
  return n.registry === undefined ? n.repository : `${n.registry}/${n.repository}`;
}

/** True when the tag holds a `*` glob. */
export function hasTagGlob(n: ImageName): boolean {
  return n.tag !== undefined && n.tag.includes('*');
}

/** Matches a tag against an oc-style glob where `*` is any run of characters. */
export function tagGlobMatcher(glob: string): (tag: string) => boolean {
  const re = new RegExp(`^${glob.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\-]/g, '\\$&')).join('.*')}$`);
  return (tag) => re.test(tag);
}
