/**
 * `airlock pull-secret add | rm | check`: the OpenShift procedure "add your
 * mirror registry's credentials to the pull secret" (seeds 000 §4.3.4 and
 * 004) without hand-editing JSON. The key goes in exactly as given
 * (`mirror.example:8443`, `mirror.example:8443/ocp4/`), the other entries
 * keep their bytes, and the file is written atomically with mode 0600.
 * A missing file is created (as `podman login --authfile` does): an
 * air-gapped cluster's pull secret often holds only the mirror's entry.
 */
import { AuthDocument, type EntryStatus } from './auth-document.js';
import { CredentialsError } from './errors.js';
import { loadAuthDocument } from './login.js';
import { parseRegistryKey } from './registry-key.js';
import { withFileLock, writeCredentialsFile } from './secret-file.js';

export interface PullSecretAdd {
  readonly file: string;
  /** The key, stored as given. */
  readonly registry: string;
  readonly username: string;
  readonly password: string;
  readonly email?: string;
}

export interface PullSecretChange {
  readonly file: string;
  readonly key: string;
  /** `created`: the file did not exist; `updated`: an entry for the same key was replaced. */
  readonly action: 'added' | 'updated' | 'created' | 'removed';
  /** Every key of the file afterwards, in file order. */
  readonly keys: readonly string[];
}

const hasControl = (s: string): boolean => [...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

/** Throws CredentialsError for a user name that cannot be stored as `user:password`. */
export function assertUsername(username: string): void {
  if (username === '') throw new CredentialsError('the user name is empty');
  if (username.includes(':')) throw new CredentialsError('the user name cannot contain ":" (the pull secret stores base64 "user:password")');
  if (hasControl(username)) throw new CredentialsError('the user name contains control characters');
}

/**
 * Adds or replaces the entry for `registry`. Refuses (CredentialsError, file
 * untouched) a file that is not valid JSON or has an entry whose "auth" is
 * not base64 "user:password", naming the file and the key.
 */
export async function addToPullSecret(o: PullSecretAdd): Promise<PullSecretChange> {
  const target = parseRegistryKey(o.registry, '--registry', true);
  assertUsername(o.username);
  if (o.email !== undefined && (o.email === '' || hasControl(o.email))) throw new CredentialsError('--email is empty or contains control characters');
  return withFileLock(o.file, () => {
    const existing = loadAuthDocument(o.file, true);
    const doc = existing ?? AuthDocument.empty(o.file);
    doc.assertWritable();
    doc.assertValid();
    const entry = AuthDocument.entryValue(doc.find(target.key)?.value, o.username, o.password, o.email);
    const { doc: next, replaced } = doc.withEntry(target.key, entry);
    writeCredentialsFile(o.file, next.text);
    const action = existing === undefined ? 'created' : replaced ? 'updated' : 'added';
    return { file: o.file, key: target.key, action, keys: next.entries().map((e) => e.key) };
  });
}

/** Removes the entry for `registry` (any equivalent spelling); CredentialsError when there is none. */
export async function removeFromPullSecret(file: string, registry: string): Promise<PullSecretChange> {
  const target = parseRegistryKey(registry, '--registry', true);
  return withFileLock(file, () => {
    const doc = loadAuthDocument(file, false)!;
    doc.assertWritable();
    const { doc: next, removed } = doc.without(target.key);
    if (removed === 0) throw new CredentialsError(`${file} has no entry for "${target.key}"`);
    writeCredentialsFile(file, next.text);
    return { file, key: target.key, action: 'removed', keys: next.entries().map((e) => e.key) };
  });
}

/** Every entry's state (user name or problem); the file must exist and be valid JSON. */
export function checkPullSecret(file: string): { file: string; entries: EntryStatus[] } {
  const doc = loadAuthDocument(file, false)!;
  if (doc.legacy) throw new CredentialsError(`${file} is in the legacy ~/.dockercfg format (no "auths"); a pull secret needs {"auths": {...}}`);
  return { file, entries: doc.check() };
}
