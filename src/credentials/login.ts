/**
 * `airlock login`, `logout` and `login --get-login` as use cases: check the
 * credentials against the registry, then record them in an auth file (or
 * remove them). The file is touched only after the registry accepted the
 * credentials, under the file's lock, re-read inside the lock, written
 * atomically with mode 0600 (secret-file.ts).
 */
import { AuthStore, type Credentials } from '../transports/registry/auth-file.js';
import { checkLogin } from '../transports/registry/login-check.js';
import { describeConnectError } from '../transports/registry/http-errors.js';
import { AuthDocument } from './auth-document.js';
import { caBundle } from './certs-d.js';
import { CredentialsError, LoginFailedError } from './errors.js';
import { parseRegistryKey, type RegistryKey } from './registry-key.js';
import { readCredentialsFile, withFileLock, writeCredentialsFile } from './secret-file.js';

export interface TlsOptions {
  /** Plain http and unverified TLS allowed. */
  readonly insecure: boolean;
  readonly caFile?: string;
  /** containers certs.d directory for this registry (its *.crt are CAs). */
  readonly certDir?: string;
}

export interface LoginOptions extends TlsOptions {
  /** The registry key as typed (host[:port][/namespace…]). */
  readonly registry: string;
  readonly username: string;
  readonly password: string;
  readonly authFile: string;
}

export interface LoginResult {
  readonly key: string;
  readonly file: string;
  /** An entry for the same key was replaced. */
  readonly replaced: boolean;
  /** The registry answered /v2/ without credentials: they were stored unchecked. */
  readonly authNotRequired: boolean;
}

/** Reads and parses an auth file; a missing one is empty when `missingOk`. */
export function loadAuthDocument(file: string, missingOk: boolean): AuthDocument | undefined {
  const text = readCredentialsFile(file);
  if (text === undefined) {
    if (missingOk) return undefined;
    throw new CredentialsError(`${file} does not exist`);
  }
  return AuthDocument.parse(file, text);
}

/** Asks the registry; throws LoginFailedError when it refuses or cannot be asked. */
export async function verifyCredentials(target: RegistryKey, username: string, password: string, tls: TlsOptions): Promise<{ authNotRequired: boolean }> {
  const ca = caBundle(target.host, { caFile: tls.caFile, certDir: tls.certDir });
  try {
    const r = await checkLogin(target.host, username, password, { insecure: tls.insecure, caFile: tls.insecure ? undefined : ca.caFile });
    if (!r.ok) {
      const why = r.status === 403 ? 'access denied' : 'wrong user name or password';
      throw new LoginFailedError(`login to ${target.host} failed: ${why} (HTTP ${r.status})`, true);
    }
    return { authNotRequired: r.scheme === 'none' };
  } catch (e) {
    if (e instanceof LoginFailedError) throw e;
    const msg = e instanceof Error && e.message.startsWith('cannot reach') ? e.message : describeConnectError(e);
    throw new LoginFailedError(`login to ${target.host} failed: ${msg}`, false, { cause: e });
  } finally {
    ca.cleanup();
  }
}

/** Checks the credentials, then stores them under the key as typed (scheme and trailing slash dropped). */
export async function login(o: LoginOptions): Promise<LoginResult> {
  const target = parseRegistryKey(o.registry, 'registry');
  // A file we could not rewrite fails before the registry is asked.
  const before = loadAuthDocument(o.authFile, true);
  before?.assertWritable();
  const { authNotRequired } = await verifyCredentials(target, o.username, o.password, o);
  return withFileLock(o.authFile, () => {
    const doc = loadAuthDocument(o.authFile, true) ?? AuthDocument.empty(o.authFile);
    const entry = AuthDocument.entryValue(doc.find(target.key)?.value, o.username, o.password);
    const { doc: next, replaced } = doc.withEntry(target.key, entry);
    writeCredentialsFile(o.authFile, next.text);
    return { key: target.key, file: o.authFile, replaced, authNotRequired };
  });
}

/** Removes the entry for `registry` (or every entry); returns how many were removed (0: not logged in). */
export async function logout(registry: string | 'all', authFile: string): Promise<{ key?: string; removed: number }> {
  const key = registry === 'all' ? undefined : parseRegistryKey(registry, 'registry').key;
  return withFileLock(authFile, () => {
    const doc = loadAuthDocument(authFile, true);
    if (doc === undefined) return { key, removed: 0 };
    const { doc: next, removed } = key === undefined ? doc.withoutAll() : doc.without(key);
    if (removed > 0) writeCredentialsFile(authFile, next.text);
    return { key, removed };
  });
}

/** The stored credentials for `registry` from the first of `files` that has them (most specific key wins). */
export function storedLogin(registry: string, files: readonly string[]): (Credentials & { file: string }) | undefined {
  const target = parseRegistryKey(registry, 'registry');
  for (const file of files) {
    const doc = loadAuthDocument(file, true);
    if (doc === undefined) continue;
    const hit = AuthStore.parse(file, doc.text).lookup(target.key.split('/')[0]!, target.path);
    if (hit !== undefined) return { ...hit, file };
  }
  return undefined;
}
