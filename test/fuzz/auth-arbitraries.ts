/**
 * fast-check generators for registry auth files (pull secrets, docker
 * config.json, podman auth.json, legacy ~/.dockercfg): entries with
 * recognisable random secrets, keys spelled the many ways equivalent keys are
 * written, other top-level settings, and breakages of one entry.
 */
import fc from 'fast-check';

/** A secret long and random enough that any 8 characters of it never occur by chance in a message. */
export const secret = fc.stringMatching(/^[A-Za-z0-9]{20,28}$/);
const user = fc.stringMatching(/^[a-z][a-z0-9._-]{0,10}$/);

/** Keys: hosts, ports, paths, and the spellings lookups fold (scheme, /v1/, trailing slash, host case, docker.io aliases). */
export const authKey = fc
  .tuple(
    fc.constantFrom('quay.io', 'registry.redhat.io', 'localhost:5000', '127.0.0.1:8443', 'mirror.example.com:5000', 'docker.io', 'index.docker.io', 'registry-1.docker.io'),
    fc.constantFrom('', '/ocp4', '/ocp4/release', '/ns/'),
    fc.constantFrom('', 'https://', 'http://'),
    fc.constantFrom('', '/v1/', '/v2/', '/'),
    fc.boolean(),
  )
  .map(([host, path, scheme, suffix, upper]) => `${scheme}${upper ? host.toUpperCase() : host}${path}${path === '' ? suffix : ''}`);

export interface GeneratedEntry {
  readonly value: Record<string, unknown>;
  /** The credentials a lookup must return, or undefined for an entry without any. */
  readonly creds?: { username: string; password: string; identityToken?: string };
  /** Strings that must never appear in a message. */
  readonly secrets: readonly string[];
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

export const authEntry: fc.Arbitrary<GeneratedEntry> = fc.oneof(
  fc.tuple(user, secret, fc.option(fc.emailAddress(), { nil: undefined })).map(([u, p, email]) => {
    const auth = b64(`${u}:${p}`);
    return { value: { auth, ...(email !== undefined ? { email } : {}) }, creds: { username: u, password: p }, secrets: [p, auth] };
  }),
  fc.tuple(user, secret).map(([u, p]) => ({ value: { username: u, password: p }, creds: { username: u, password: p }, secrets: [p] })),
  fc.tuple(secret, fc.boolean()).map(([t, withAuth]) => ({
    value: { ...(withAuth ? { auth: b64('<token>:') } : {}), identitytoken: t },
    creds: { username: withAuth ? '<token>' : '', password: '', identityToken: t },
    secrets: [t],
  })),
  fc.constantFrom<GeneratedEntry>({ value: { auth: '' }, secrets: [] }, { value: { email: 'a@b.c' }, secrets: [] }),
);

export interface GeneratedFile {
  /** The document (entries in file order; equivalent keys possible, exact repeats not). */
  readonly doc: Record<string, unknown>;
  readonly entries: readonly { key: string; entry: GeneratedEntry }[];
  readonly legacy: boolean;
  readonly secrets: readonly string[];
}

const otherSettings = fc.record(
  {
    credHelpers: fc.dictionary(fc.constantFrom('gcr.io', 'ecr.example.com'), fc.constantFrom('gcloud', 'ecr-login'), { maxKeys: 2 }),
    credsStore: fc.constantFrom('desktop', 'pass', ''),
    HttpHeaders: fc.constant({ 'User-Agent': 'x' }),
    detachKeys: fc.constant('ctrl-p'),
  },
  { requiredKeys: [] },
);

export const authFile: fc.Arbitrary<GeneratedFile> = fc
  .record({
    entries: fc.uniqueArray(fc.tuple(authKey, authEntry), { maxLength: 5, selector: ([k]) => k }),
    settings: otherSettings,
    legacy: fc.boolean(),
    settingsFirst: fc.boolean(),
  })
  .map(({ entries, settings, legacy, settingsFirst }) => {
    const auths = Object.fromEntries(entries.map(([k, e]) => [k, e.value]));
    const isLegacy = legacy && entries.length > 0 && entries.every(([, e]) => Object.keys(e.value).length > 0);
    const doc = isLegacy ? auths : settingsFirst ? { ...settings, auths } : { auths, ...settings };
    const list = entries.map(([key, entry]) => ({ key, entry }));
    return { doc, entries: list, legacy: isLegacy, secrets: list.flatMap((e) => e.entry.secrets) };
  });

/** The ways one entry can be malformed (the rest of the file stays valid). */
export const entryBreakage = fc.constantFrom(
  (s: string) => ({ auth: `${s}!!` }),
  (s: string) => ({ auth: b64(s) }),
  (s: string) => ({ auth: b64(`:${s}`) }),
  (s: string) => ({ auth: 42, password: s }),
  (s: string) => ({ identitytoken: 7, auth: b64(`u:${s}`) }),
  (s: string) => [s],
  (s: string) => s,
);

/** Every 8-character window of each secret. */
export function secretWindows(secrets: readonly string[]): string[] {
  return secrets.flatMap((s) => Array.from({ length: Math.max(0, s.length - 7) }, (_, i) => s.slice(i, i + 8)));
}
