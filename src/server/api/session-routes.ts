/**
 * Console login: POST /api/v1/session checks the account like any login
 * (same limits and audit) and sets a session cookie (HttpOnly, Secure,
 * SameSite=Strict, no Max-Age: it dies with the browser) and answers the
 * CSRF token, which every state-changing request of the session must send
 * in `X-CSRF-Token`. A session ends after the idle time without requests.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Authenticator } from '../../auth/authenticator.js';
import { accountAllows, accountPrincipal, csrfMatches, type SessionStore } from '../../auth/sessions.js';
import { RegistryError } from '../../registry/errors.js';
import type { SessionAuth } from './api-auth.js';
import { clientAddress } from '../../util/client-address.js';

export const SESSION_COOKIE = 'airlock_session';

const Login = z.object({ username: z.string().min(1).max(200), password: z.string().min(1).max(200) }).strict();

function cookieValue(req: FastifyRequest): string | undefined {
  const raw = req.headers.cookie;
  if (!raw) return undefined;
  for (const part of raw.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === SESSION_COOKIE) return v.join('=');
  }
  return undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);

export function sessionAuth(sessions: SessionStore): SessionAuth {
  return {
    async principal(req, need) {
      const id = cookieValue(req);
      if (id === undefined) return undefined;
      const live = await sessions.get(id);
      if (!live) throw new RegistryError('UNAUTHORIZED', 'the console session expired or ended; log in again', undefined, 401);
      if (!SAFE_METHODS.has(req.method) && !csrfMatches(req.headers['x-csrf-token'] as string | undefined, live.session.csrf)) {
        throw new RegistryError('DENIED', 'missing or wrong X-CSRF-Token for this session', undefined, 403);
      }
      if (!accountAllows(live.account, need)) throw new RegistryError('DENIED', 'requested access to the resource is denied', undefined, 403);
      return accountPrincipal(live.account);
    },
  };
}

export function sessionRoutes(app: FastifyInstance, sessions: SessionStore, authn: Authenticator): void {
  const cookie = (value: string, extra = ''): string => `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; Secure; SameSite=Strict${extra}`;

  app.post('/session', async (req, rep) => {
    req.routeKind = 'api-session';
    const body = Login.safeParse(req.body);
    if (!body.success) throw new RegistryError('UNSUPPORTED', 'expected {"username", "password"}', undefined, 400);
    const account = await authn.login(body.data, clientAddress(req.raw), 'token', {});
    const s = await sessions.create(account);
    return rep.code(201).header('set-cookie', cookie(s.id)).send({ name: account.name, admin: account.admin, csrfToken: s.csrf, idleSeconds: sessions.idleMs / 1000 });
  });

  app.get('/session', async (req, rep) => {
    req.routeKind = 'api-session';
    const id = cookieValue(req);
    const live = id === undefined ? undefined : await sessions.get(id);
    if (!live) throw new RegistryError('UNAUTHORIZED', 'no console session; log in', undefined, 401);
    return rep.send({ name: live.account.name, admin: live.account.admin, csrfToken: live.session.csrf });
  });

  app.delete('/session', async (req, rep) => {
    req.routeKind = 'api-session';
    const id = cookieValue(req);
    const live = id === undefined ? undefined : await sessions.get(id);
    if (live && !csrfMatches(req.headers['x-csrf-token'] as string | undefined, live.session.csrf)) {
      throw new RegistryError('DENIED', 'missing or wrong X-CSRF-Token for this session', undefined, 403);
    }
    if (id !== undefined) await sessions.delete(id);
    return rep.code(204).header('set-cookie', cookie('', '; Max-Age=0')).send();
  });
}
