/**
 * Keys of an `auths` map as users type them: `host[:port]`, optionally with a
 * namespace or repository path (`mirror.example:8443/ocp4/`, seed 004), and
 * in docker's files sometimes with a scheme (`https://index.docker.io/v1/`).
 */
import { isValidRepositoryName } from '../oci/names.js';
import { isValidRegistryHost } from '../reference/image-name.js';
import { CredentialsError } from './errors.js';

export interface RegistryKey {
  /** The key to store. */
  readonly key: string;
  /** host[:port] to contact (docker.io → registry-1.docker.io). */
  readonly host: string;
  /** The namespace/repository part, if any, without slashes around it. */
  readonly path?: string;
}

const SCHEME = /^https?:\/\//i;

/**
 * Parses and validates `input`. With `asGiven` (pull-secret add) the key is
 * stored exactly as typed, scheme and trailing slash included; without it
 * (login, logout) the scheme and trailing slashes are dropped, as podman does.
 * Throws CredentialsError for anything that is not host[:port][/path]
 * (a tag, a digest, spaces, an invalid host or path component).
 */
export function parseRegistryKey(input: string, what: string, asGiven = false): RegistryKey {
  const hint = `${what} "${input.slice(0, 200)}": expected host[:port] or host[:port]/namespace[/repository] (no tag, digest or spaces)`;
  const raw = input.trim();
  if (raw === '' || raw !== input || /[\s@]/.test(raw)) throw new CredentialsError(hint);
  const bare = raw.replace(SCHEME, '');
  const slash = bare.indexOf('/');
  const host = slash < 0 ? bare : bare.slice(0, slash);
  let path = slash < 0 ? '' : bare.slice(slash + 1).replace(/\/$/, '');
  if (SCHEME.test(raw)) path = path.replace(/^v[12]$/, '');
  if (!isValidRegistryHost(host) || (path !== '' && !isValidRepositoryName(path))) throw new CredentialsError(hint);
  const key = asGiven ? raw : path === '' ? host : `${host}/${path}`;
  const contact = host.toLowerCase() === 'docker.io' ? 'registry-1.docker.io' : host;
  return path === '' ? { key, host: contact } : { key, host: contact, path };
}
