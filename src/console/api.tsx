/**
 * The console's client for /api/v1 (docs/api.md): same-origin fetch with the
 * session cookie, the CSRF token on every state-changing request, and the
 * OCI error envelope turned into one message. A 401 means the session
 * ended: the app goes back to the login view.
 */
export interface Me {
  readonly name: string;
  readonly admin: boolean;
  /** False on a registry without authentication (no sessions, no CSRF). */
  readonly session: boolean;
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

let csrf = '';
let onUnauthorized: (message: string) => void = () => undefined;

export function setCsrf(token: string): void {
  csrf = token;
}

export function whenUnauthorized(f: (message: string) => void): void {
  onUnauthorized = f;
}

async function errorOf(res: Response): Promise<ApiError> {
  let code = 'UNKNOWN';
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { errors?: { code?: string; message?: string }[] };
    const e = body.errors?.[0];
    if (e) {
      code = e.code ?? code;
      message = e.message ?? message;
    }
  } catch {
    // not the envelope: keep the status line
  }
  return new ApiError(res.status, code, message);
}

export async function api<T>(method: string, path: string, body?: unknown, quiet401 = false): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
  const res = await fetch(`/api/v1${path}`, { method, headers, credentials: 'same-origin', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  if (!res.ok) {
    const err = await errorOf(res);
    if (res.status === 401 && !quiet401) onUnauthorized(err.message);
    throw err;
  }
  return (res.status === 204 ? undefined : await res.json()) as T;
}

/** Who is logged in: the session (auth on), or the open registry's anonymous admin (auth off); undefined: log in. */
export async function currentUser(): Promise<Me | undefined> {
  try {
    const s = await api<{ name: string; admin: boolean; csrfToken: string }>('GET', '/session', undefined, true);
    setCsrf(s.csrfToken);
    return { name: s.name, admin: s.admin, session: true };
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 404) return undefined;
  }
  const me = await api<{ name: string; admin: boolean }>('GET', '/me', undefined, true);
  return { ...me, session: false };
}

export async function login(username: string, password: string): Promise<Me> {
  const s = await api<{ name: string; admin: boolean; csrfToken: string }>('POST', '/session', { username, password }, true);
  setCsrf(s.csrfToken);
  return { name: s.name, admin: s.admin, session: true };
}

export async function logout(): Promise<void> {
  try {
    await api('DELETE', '/session', undefined, true);
  } finally {
    setCsrf('');
  }
}

/** Path segments of a repository name, each URI-encoded (slashes kept). */
export function repoPath(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}

export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function when(ms: number | undefined): string {
  return ms === undefined ? '' : new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}
