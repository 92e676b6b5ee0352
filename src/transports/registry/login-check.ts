/**
 * Checks a user name and password against a registry the way `docker login`
 * and `podman login` do, on the registry client's own pieces (scheme
 * discovery, trust, retries, RegistryAuth):
 *
 *   GET /v2/                        → 200: the registry needs no login
 *                                   → 401 Basic: GET /v2/ again with Basic credentials
 *                                   → 401 Bearer: token from the realm (Basic
 *                                     credentials, no scope), then GET /v2/ with it
 *
 * The credentials exist only in memory; nothing is written.
 */
import { AuthStore } from './auth-file.js';
import { RegistryAuthError } from './registry-auth.js';
import { RegistryHttp } from './registry-http.js';
import type { RetryPolicy } from './retry.js';

export interface LoginCheckOptions {
  /** Allow plain http and unverified TLS (podman's --tls-verify=false). */
  readonly insecure: boolean;
  /** Extra PEM CA bundle to trust. */
  readonly caFile?: string;
  readonly userAgent?: string;
  /** Default: 2 retries, short waits (a login is interactive). */
  readonly retry?: RetryPolicy;
  readonly timeoutMs?: number;
}

export type LoginCheck =
  /** `scheme` is what the registry asked for ('none': it answered /v2/ without credentials). */
  | { readonly ok: true; readonly scheme: 'bearer' | 'basic' | 'none' }
  /** The registry (or its token service) refused the credentials with this status. */
  | { readonly ok: false; readonly status: number };

const LOGIN_RETRY: RetryPolicy = { times: 2, delayMs: 250, maxDelayMs: 2_000, maxRetryAfterMs: 5_000 };

/**
 * Resolves {ok:false} when the credentials are refused (401/403 from the
 * registry or its token endpoint). Rejects with an Error saying why when the
 * registry cannot be reached, its TLS is not trusted, or it answers something
 * that is not a registry's answer. Error messages never contain the password.
 */
export async function checkLogin(registry: string, username: string, password: string, opts: LoginCheckOptions): Promise<LoginCheck> {
  const auth = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
  const store = AuthStore.parse('(login)', JSON.stringify({ auths: { [registry]: { auth } } }));
  const http = new RegistryHttp(registry, {
    insecure: opts.insecure,
    caFile: opts.caFile,
    auth: store,
    retry: opts.retry ?? LOGIN_RETRY,
    skipMultipleScopes: true,
    connections: 1,
    userAgent: opts.userAgent ?? 'airlock/0.1',
    headersTimeoutMs: opts.timeoutMs ?? 30_000,
    bodyTimeoutMs: opts.timeoutMs ?? 30_000,
  });
  try {
    let res;
    try {
      res = await http.send({ method: 'GET', path: '/v2/' });
    } catch (e) {
      if (e instanceof RegistryAuthError && e.status !== undefined) return { ok: false, status: e.status };
      throw e;
    }
    await res.body.dump();
    const scheme = http.auth.scheme === 'bearer' || http.auth.scheme === 'basic' ? http.auth.scheme : 'none';
    if (res.statusCode === 200) return { ok: true, scheme };
    if (res.statusCode === 401 || res.statusCode === 403) return { ok: false, status: res.statusCode };
    throw new Error(`${registry}: GET /v2/ answered HTTP ${res.statusCode}; is this a container registry?`);
  } finally {
    await http.close();
  }
}
