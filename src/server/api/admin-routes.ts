/**
 * Admin parts of the JSON API: storage figures and GC, accounts, robots.
 * Robots are created, rotated and removed through auth/robots.ts, the code
 * `airlock robot` uses; a token is shown once, in the answer that made it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HOST_RE } from '../../auth/challenge.js';
import { createRobot, pullSecretEntry, removeRobot, robotGrants, rotateRobot } from '../../auth/robots.js';
import { AccountError, type Account, type AuthStore } from '../../auth/store.js';
import { RegistryError } from '../../registry/errors.js';
import type { RepositoryBrowser } from '../../registry/browse.js';
import type { StorageReport } from '../../registry/storage-report.js';
import { splitUrl } from '../http-util.js';
import type { ApiAuth } from './api-auth.js';
import { decodeCursor, encodeCursor, parseLimit } from './params.js';

export interface AdminRouteDeps {
  readonly auth: ApiAuth;
  readonly browser: RepositoryBrowser;
  readonly storage: StorageReport;
  /** Accounts (undefined when authentication is off: there are none). */
  readonly accounts?: AuthStore | undefined;
  /** host[:port] for pull-secret entries when the request's Host is unusable. */
  readonly registryHost: () => string;
}

const NewRobot = z.object({
  name: z.string().max(80),
  pull: z.array(z.string().max(255)).max(100).optional(),
  push: z.array(z.string().max(255)).max(100).optional(),
}).strict();

function accountView(a: Account) {
  return { name: a.name, kind: a.kind, admin: a.admin, pull: a.pull, push: a.push, createdAt: a.createdAt, updatedAt: a.updatedAt };
}

function refusal(e: unknown): unknown {
  if (!(e instanceof AccountError)) return e;
  const status = /^no robot named/.test(e.message) ? 404 : /already exists/.test(e.message) ? 409 : 400;
  return new RegistryError(status === 404 ? 'NAME_UNKNOWN' : 'UNSUPPORTED', e.message, undefined, status);
}

export function adminRoutes(app: FastifyInstance, d: AdminRouteDeps): void {
  const admin = (req: FastifyRequest) => d.auth.authorize(req, { admin: true });
  const store = (): AuthStore => {
    if (!d.accounts) throw new RegistryError('UNSUPPORTED', 'authentication is off: this registry has no accounts', undefined, 404);
    return d.accounts;
  };
  const host = (req: FastifyRequest): string => {
    const h = req.headers.host;
    return h && HOST_RE.test(h) ? h : d.registryHost();
  };

  app.get('/storage', async (req, rep) => {
    req.routeKind = 'api-storage';
    await admin(req);
    return rep.send(await d.storage.summary());
  });

  app.get('/storage/repositories', async (req, rep) => {
    req.routeKind = 'api-storage';
    await admin(req);
    const { query } = splitUrl(req.url);
    const page = await d.browser.repositories({ prefix: query.get('q') ?? '', cursor: decodeCursor(query.get('cursor')), limit: parseLimit(query.get('limit')), visible: undefined });
    return rep.send({ repositories: await d.storage.usage(page.items), next: encodeCursor(page.next) });
  });

  app.get('/storage/gc-plan', async (req, rep) => {
    req.routeKind = 'api-storage';
    await admin(req);
    return rep.send(await d.storage.gcPlan());
  });

  app.get('/accounts', async (req, rep) => {
    req.routeKind = 'api-accounts';
    await admin(req);
    return rep.send({ accounts: (await store().list()).map(accountView) });
  });

  app.get('/robots', async (req, rep) => {
    req.routeKind = 'api-robots';
    await admin(req);
    return rep.send({ robots: (await store().list()).filter((a) => a.kind === 'robot').map(accountView) });
  });

  app.post('/robots', async (req, rep) => {
    req.routeKind = 'api-robots';
    await admin(req);
    const body = NewRobot.safeParse(req.body);
    if (!body.success) {
      const issue = body.error.issues[0]!;
      throw new RegistryError('UNSUPPORTED', `invalid robot: ${issue.path.join('.') || 'body'}: ${issue.message} (expected {"name", "pull": [globs], "push": [globs]})`, undefined, 400);
    }
    try {
      const { grants, hints } = robotGrants(body.data);
      const { account, token } = await createRobot(store(), body.data.name, grants);
      return rep.code(201).send({ robot: accountView(account), token, pullSecret: pullSecretEntry(account.name, token, host(req)), hints });
    } catch (e) {
      throw refusal(e);
    }
  });

  app.post('/robots/:name/rotate', async (req, rep) => {
    req.routeKind = 'api-robots';
    await admin(req);
    try {
      const { account, token } = await rotateRobot(store(), (req.params as { name: string }).name);
      return rep.send({ robot: accountView(account), token, pullSecret: pullSecretEntry(account.name, token, host(req)) });
    } catch (e) {
      throw refusal(e);
    }
  });

  app.delete('/robots/:name', async (req, rep) => {
    req.routeKind = 'api-robots';
    await admin(req);
    try {
      await removeRobot(store(), (req.params as { name: string }).name);
    } catch (e) {
      throw refusal(e);
    }
    return rep.code(204).send();
  });
}
