/**
 * docker's credential helper protocol, as docker and podman run it:
 * `docker-credential-NAME get` with the registry (`host[:port]`) on stdin
 * answers `{"ServerURL", "Username", "Secret"}` on stdout, or exits non-zero
 * with "credentials not found…" when it holds none. A Username of `<token>`
 * means Secret is an identity (refresh) token. The helper's output is never
 * quoted in messages (it holds the secret).
 */
import { spawnSync } from 'node:child_process';

export type HelperAnswer =
  | { readonly kind: 'found'; readonly username: string; readonly secret: string; readonly identityToken: boolean }
  | { readonly kind: 'none' }
  | { readonly kind: 'missing' }
  | { readonly kind: 'failed'; readonly reason: string };

/** Longest wait for a helper (a keychain may prompt the user). */
const HELPER_TIMEOUT_MS = 60_000;

export function runCredentialHelper(name: string, server: string, env: NodeJS.ProcessEnv = process.env): HelperAnswer {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) return { kind: 'failed', reason: 'the helper name is not a plain program name' };
  const r = spawnSync(`docker-credential-${name}`, ['get'], { input: `${server}\n`, encoding: 'utf8', timeout: HELPER_TIMEOUT_MS, maxBuffer: 1 << 20, env, stdio: ['pipe', 'pipe', 'pipe'] });
  const code = (r.error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return { kind: 'missing' };
  if (r.error !== undefined) return { kind: 'failed', reason: code === 'ETIMEDOUT' ? `no answer within ${HELPER_TIMEOUT_MS / 1000} s` : (code ?? 'it could not be run') };
  if (r.status !== 0) {
    if (/credentials not found/i.test(`${r.stdout}\n${r.stderr}`)) return { kind: 'none' };
    return { kind: 'failed', reason: r.status === null ? `killed by ${r.signal}` : `exit status ${r.status}` };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    return { kind: 'failed', reason: 'its answer is not JSON' };
  }
  const d = doc as { Username?: unknown; Secret?: unknown };
  if (typeof d !== 'object' || d === null || typeof d.Secret !== 'string' || (d.Username !== undefined && typeof d.Username !== 'string')) {
    return { kind: 'failed', reason: 'its answer lacks a string "Secret"' };
  }
  if (d.Secret === '') return { kind: 'none' };
  const username = typeof d.Username === 'string' ? d.Username : '';
  return { kind: 'found', username: username === '<token>' ? '' : username, secret: d.Secret, identityToken: username === '<token>' };
}
