/**
 * Registry credentials from the files users already have: a Red Hat pull
 * secret, a docker config.json, a podman auth.json (all `{"auths": {KEY:
 * {"auth": base64("user:password")}}}`), or a legacy ~/.dockercfg (the same
 * map without `auths`: a document is one only when every value is an entry;
 * a config.json holding only other settings, e.g. `{"credsStore": "desktop"}`,
 * has no credentials). An entry's `identitytoken` (docker's OAuth refresh
 * token) is kept for the token request.
 *
 * Credential helpers (`credHelpers[host]`, else `credsStore`) are run, as
 * docker and podman do, when no entry matches: `docker-credential-NAME get`
 * (credential-helper.ts), once per host and run. helperFor() and
 * helperProblem() say why a helper gave nothing.
 *
 * KEY is `host[:port]`, optionally with a path (`host:port/namespace/` or
 * `host/ns/repo`), optionally with a scheme and docker's `/v1/` suffix. A
 * lookup for `host/ns/repo` picks the most specific key: `host/ns/repo`,
 * then `host/ns`, then `host`.
 */
import { homedir } from 'node:os';
import { runCredentialHelper } from './credential-helper.js';
import { join } from 'node:path';
import { INPUT_LIMITS, InputFileError, readInputFile } from '../../util/input-file.js';
import { quoted } from '../../util/quoted.js';
import { JsonSyntaxError, parseStrictJson } from '../../util/json-spans.js';

export interface Credentials {
  readonly username: string;
  readonly password: string;
  /** docker's `identitytoken`: an OAuth refresh token, exchanged at the token realm instead of the password. */
  readonly identityToken?: string;
  /** The auth-file key that matched (identifies the credential set). */
  readonly key: string;
  /** The file the entry came from (for messages; never the secret). */
  readonly file?: string;
}

/** A credential helper an auth file names for a registry (docker's `credHelpers` / `credsStore`). */
export interface CredentialHelper {
  /** The file naming it. */
  readonly file: string;
  /** docker runs `docker-credential-NAME`. */
  readonly name: string;
}

interface HelperTable {
  readonly file: string;
  readonly byHost: ReadonlyMap<string, string>;
  readonly store?: string;
}

/** Fields of an auth entry (a legacy ~/.dockercfg is a map of these). */
const ENTRY_FIELDS = ['auth', 'username', 'password', 'email', 'identitytoken'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const looksLikeEntry = (v: unknown): boolean => isObject(v) && ENTRY_FIELDS.some((f) => f in v);

function helperTable(file: string, doc: Record<string, unknown>): HelperTable | undefined {
  const byHost = new Map<string, string>();
  if (isObject(doc.credHelpers)) {
    for (const [host, name] of Object.entries(doc.credHelpers)) if (typeof name === 'string' && name !== '') byHost.set(normalizeKey(host), name);
  }
  const store = typeof doc.credsStore === 'string' && doc.credsStore !== '' ? doc.credsStore : undefined;
  return byHost.size > 0 || store !== undefined ? { file, byHost, store } : undefined;
}

export class AuthFileError extends Error {
  readonly code = 'ERR_AUTH_FILE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuthFileError';
  }
}

/** The form keys are compared in: no scheme, no `/v1/` or trailing `/`, host lowercased, docker.io aliases folded. */
export function normalizeKey(raw: string): string {
  let k = raw.trim().replace(/^[a-z]+:\/\//i, '');
  k = k.replace(/\/v[12]\/?$/, '').replace(/\/+$/, '');
  const slash = k.indexOf('/');
  const host = (slash < 0 ? k : k.slice(0, slash)).toLowerCase();
  const canonical = host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
  return slash < 0 ? canonical : canonical + k.slice(slash);
}

/**
 * The credentials of one `auths` entry, or undefined when it has none (no or
 * empty `auth`, no `identitytoken`). With an `identitytoken` (docker stores
 * `auth` as base64("user:") beside it) the user name may be empty.
 * Throws AuthFileError naming `file` and `key` (never the secret) when the entry is malformed.
 */
export function decodeEntry(file: string, key: string, entry: unknown): Omit<Credentials, 'key'> | undefined {
  if (typeof entry !== 'object' || entry === null) throw new AuthFileError(`${file}: entry ${quoted(key)} must be an object`);
  const e = entry as Record<string, unknown>;
  if (e.identitytoken !== undefined && typeof e.identitytoken !== 'string') throw new AuthFileError(`${file}: entry ${quoted(key)}: "identitytoken" must be a string`);
  const token = e.identitytoken !== undefined && e.identitytoken !== '' ? { identityToken: e.identitytoken } : {};
  if (typeof e.username === 'string' && typeof e.password === 'string' && e.username !== '') {
    return { username: e.username, password: e.password, ...token };
  }
  if (e.auth === undefined || e.auth === '') return 'identityToken' in token ? { username: '', password: '', ...token } : undefined;
  if (typeof e.auth !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(e.auth.trim())) {
    throw new AuthFileError(`${file}: entry ${quoted(key)}: "auth" is not base64`);
  }
  const decoded = Buffer.from(e.auth.trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0 || (colon === 0 && !('identityToken' in token))) throw new AuthFileError(`${file}: entry ${quoted(key)}: "auth" does not decode to user:password`);
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), ...token };
}

/** Credentials from zero or more auth files, searched in order. */
export class AuthStore {
  /** What each host's credential helper answered (run once per host). */
  private readonly helperAnswers = new Map<string, { creds?: Credentials; problem?: string }>();

  private constructor(
    private readonly entries: ReadonlyMap<string, Credentials>,
    private readonly helpers: readonly HelperTable[] = [],
  ) {}

  static empty(): AuthStore {
    return new AuthStore(new Map());
  }

  /** Parses one file's text; earlier stores win when merged. */
  static parse(file: string, text: string): AuthStore {
    let doc: unknown;
    try {
      // The same strict reader as `pull-secret check`: BOM accepted, repeated keys refused, errors that never quote the file.
      doc = parseStrictJson(text);
    } catch (e) {
      if (!(e instanceof JsonSyntaxError)) throw e;
      throw new AuthFileError(`${file}: not valid JSON (${e.message})`);
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new AuthFileError(`${file}: expected a JSON object`);
    const obj = doc as Record<string, unknown>;
    const legacy = !('auths' in obj) && Object.values(obj).every(looksLikeEntry);
    const auths = 'auths' in obj ? obj.auths : legacy ? obj : {};
    if (!isObject(auths)) throw new AuthFileError(`${file}: "auths" must be an object`);
    const map = new Map<string, Credentials>();
    for (const [rawKey, entry] of Object.entries(auths as Record<string, unknown>)) {
      const creds = decodeEntry(file, rawKey, entry);
      const key = normalizeKey(rawKey);
      if (creds !== undefined && !map.has(key)) map.set(key, { ...creds, key, file });
    }
    const helpers = legacy ? undefined : helperTable(file, obj);
    return new AuthStore(map, helpers ? [helpers] : []);
  }

  /** Reads one file; a missing file is an error (it was named explicitly). */
  static async load(file: string): Promise<AuthStore> {
    let text: string;
    try {
      text = await readInputFile(file, 'registry auth file', INPUT_LIMITS.authFile);
    } catch (e) {
      if (e instanceof InputFileError) throw new AuthFileError(e.message, { cause: e });
      throw new AuthFileError(`cannot read registry config ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
    }
    return AuthStore.parse(file, text);
  }

  /**
   * The default search order (containers/image and oc): $REGISTRY_AUTH_FILE,
   * $XDG_RUNTIME_DIR/containers/auth.json, /run/containers/$UID/auth.json,
   * $XDG_CONFIG_HOME/containers/auth.json, $DOCKER_CONFIG/config.json,
   * ~/.docker/config.json, ~/.dockercfg. Missing files are skipped.
   */
  static async loadDefault(env: NodeJS.ProcessEnv = process.env): Promise<AuthStore> {
    const home = env.HOME ?? homedir();
    const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
    const files = [
      env.REGISTRY_AUTH_FILE,
      env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'containers/auth.json') : undefined,
      uid !== undefined ? `/run/containers/${uid}/auth.json` : undefined,
      join(env.XDG_CONFIG_HOME ?? join(home, '.config'), 'containers/auth.json'),
      env.DOCKER_CONFIG ? join(env.DOCKER_CONFIG, 'config.json') : undefined,
      join(home, '.docker/config.json'),
      join(home, '.dockercfg'),
    ].filter((f): f is string => f !== undefined && f !== '');
    const stores: AuthStore[] = [];
    for (const f of files) {
      let text: string;
      try {
        text = await readInputFile(f, 'registry auth file', INPUT_LIMITS.authFile);
      } catch (e) {
        if (e instanceof InputFileError) throw new AuthFileError(e.message, { cause: e });
        continue;
      }
      stores.push(AuthStore.parse(f, text));
    }
    return AuthStore.merge(stores);
  }

  static merge(stores: readonly AuthStore[]): AuthStore {
    const map = new Map<string, Credentials>();
    for (const s of stores) for (const [k, v] of s.entries) if (!map.has(k)) map.set(k, v);
    return new AuthStore(map, stores.flatMap((s) => s.helpers));
  }

  /** Most specific credentials for `repository` on `registry`, if any. */
  lookup(registry: string, repository?: string): Credentials | undefined {
    const host = normalizeKey(registry);
    const parts = repository === undefined ? [] : repository.split('/');
    for (let n = parts.length; n >= 0; n--) {
      const key = n === 0 ? host : `${host}/${parts.slice(0, n).join('/')}`;
      const hit = this.entries.get(key);
      if (hit !== undefined) return hit;
    }
    return this.fromHelper(host);
  }

  /** Credentials from the credential helper the files name for `host`, if it holds some. */
  private fromHelper(host: string): Credentials | undefined {
    const known = this.helperAnswers.get(host);
    if (known !== undefined) return known.creds;
    const h = this.helperFor(host);
    if (h === undefined) return undefined;
    const a = runCredentialHelper(h.name, host);
    const source = `docker-credential-${h.name} (named in ${h.file})`;
    const answer: { creds?: Credentials; problem?: string } =
      a.kind === 'found'
        ? { creds: { username: a.username, password: a.identityToken ? '' : a.secret, ...(a.identityToken ? { identityToken: a.secret } : {}), key: host, file: source } }
        : a.kind === 'none'
          ? { problem: `${source} holds no credentials for it` }
          : a.kind === 'missing'
            ? { problem: `${h.file} leaves them to the credential helper docker-credential-${h.name}, which is not on PATH` }
            : { problem: `${source} failed (${a.reason})` };
    this.helperAnswers.set(host, answer);
    return answer.creds;
  }

  /** Why the credential helper for `registry` gave no credentials (after a lookup()), if one was asked. */
  helperProblem(registry: string): string | undefined {
    return this.helperAnswers.get(normalizeKey(registry))?.problem;
  }

  /**
   * The credential helper the first file naming one leaves `registry`'s
   * credentials to (`credHelpers[host]`, else `credsStore`); lookup() runs it.
   */
  helperFor(registry: string): CredentialHelper | undefined {
    const host = normalizeKey(registry);
    for (const t of this.helpers) {
      const name = t.byHost.get(host) ?? t.store;
      if (name !== undefined) return { file: t.file, name };
    }
    return undefined;
  }

  get size(): number {
    return this.entries.size;
  }
}
