/**
 * The JSON API under /api/v1 (docs/api.md): repositories, the name tree,
 * tags, manifests and operator catalogs for whoever may pull them; storage, GC, accounts and
 * robots for admins. Errors use the OCI error envelope of the root error
 * handler. Its hooks and its JSON body parser apply to /api/v1 only.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { AuthStore } from '../../auth/store.js';
import { RegistryError } from '../../registry/errors.js';
import { RepositoryBrowser } from '../../registry/browse.js';
import { ManifestViews } from '../../registry/manifest-view.js';
import type { RegistryService } from '../../registry/registry-service.js';
import type { StorageReport } from '../../registry/storage-report.js';
import type { AccessPolicy } from '../access.js';
import { errorBody } from '../http-util.js';
import { adminRoutes } from './admin-routes.js';
import type { Authenticator } from '../../auth/authenticator.js';
import type { SessionStore } from '../../auth/sessions.js';
import { apiAuth } from './api-auth.js';
import { sessionAuth, sessionRoutes } from './session-routes.js';
import { repoRoutes } from './repo-routes.js';
import type { RunLogQueries } from '../../metadata/run-log.js';
import { mirrorRunRoutes } from './mirror-run-routes.js';
import { CatalogViews, DEFAULT_CATALOG_LIMITS, type CatalogViewLimits } from './catalog-views.js';

export interface ApiPluginOptions {
  readonly service: RegistryService;
  readonly access: AccessPolicy;
  readonly storage: StorageReport;
  readonly accounts?: AuthStore | undefined;
  /** Console sessions (with authentication on): login at /api/v1/session, cookie + CSRF token. */
  readonly sessions?: { readonly store: SessionStore; readonly authn: Authenticator } | undefined;
  readonly registryHost: () => string;
  /** Mirror run reports (POST/GET /api/v1/mirror-runs); off when absent. */
  readonly runs?: RunLogQueries | undefined;
  /** Caps of the catalog view (default DEFAULT_CATALOG_LIMITS). */
  readonly catalogLimits?: CatalogViewLimits | undefined;
}

const BODY_MAX_BYTES = 64 * 1024;

/** Registered with prefix `/api/v1`. */
export const apiPlugin: FastifyPluginAsync<ApiPluginOptions> = async (app, o) => {
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: BODY_MAX_BYTES }, (_req, body, done) => {
    try {
      done(null, JSON.parse(String(body)));
    } catch {
      done(new RegistryError('UNSUPPORTED', 'the request body is not valid JSON', undefined, 400), undefined);
    }
  });
  app.addHook('onSend', async (_req, rep, payload) => {
    rep.header('x-content-type-options', 'nosniff').header('cache-control', 'no-store');
    return payload;
  });
  app.addHook('onRequest', async (req) => {
    req.routeKind = 'api';
  });
  const auth = apiAuth(o.access, o.sessions ? sessionAuth(o.sessions.store) : undefined);
  if (o.sessions) sessionRoutes(app, o.sessions.store, o.sessions.authn);
  app.get('/me', async (req, rep) => {
    const who = await auth.authorize(req, { ping: true });
    return rep.send({ name: who.name, admin: who.admin });
  });
  const browser = new RepositoryBrowser(o.service.meta);
  repoRoutes(app, { auth, browser, views: new ManifestViews(o.service), catalogs: new CatalogViews(o.service, o.catalogLimits ?? DEFAULT_CATALOG_LIMITS) });
  adminRoutes(app, { auth, browser, storage: o.storage, accounts: o.accounts, registryHost: o.registryHost });
  if (o.runs) mirrorRunRoutes(app, { auth, runs: o.runs });
  app.setNotFoundHandler((req, rep) => {
    const what = `no route for ${req.method} ${req.url.split('?')[0]!.slice(0, 200)} in the JSON API (see docs/api.md)`;
    rep.code(404).header('content-type', 'application/json; charset=utf-8').send(errorBody('UNSUPPORTED', what));
  });
};
