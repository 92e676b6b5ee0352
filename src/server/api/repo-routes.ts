/**
 * /api/v1/repositories, /api/v1/tree and a repository's tags, manifests and
 * operator catalog view.
 * An account sees only the repositories it may pull (the access seam's
 * `canRead`), exactly as `_catalog` filters them.
 */
import type { FastifyInstance } from 'fastify';
import { RegistryError } from '../../registry/errors.js';
import type { RepositoryBrowser } from '../../registry/browse.js';
import type { ManifestViews } from '../../registry/manifest-view.js';
import type { CatalogViews } from './catalog-views.js';
import { splitUrl } from '../http-util.js';
import type { ApiAuth } from './api-auth.js';
import { decodeCursor, encodeCursor, parseLimit } from './params.js';

export interface RepoRouteDeps {
  readonly auth: ApiAuth;
  readonly browser: RepositoryBrowser;
  readonly views: ManifestViews;
  readonly catalogs: CatalogViews;
}

/** The tails of /api/v1/repositories/* (test/api/api-docs.test.ts checks docs/api.md lists each). */
export const TAIL_PATTERNS: [RegExp, 'tags' | 'manifest' | 'catalog'][] = [
  [/^(.+)\/tags$/, 'tags'],
  [/^(.+)\/manifests\/([^/]+)$/, 'manifest'],
  [/^(.+)\/catalog\/([^/]+)$/, 'catalog'],
];

export function repoRoutes(app: FastifyInstance, d: RepoRouteDeps): void {
  app.get('/repositories', async (req, rep) => {
    req.routeKind = 'api-repositories';
    const who = await d.auth.authorize(req, { catalog: true });
    const { query } = splitUrl(req.url);
    const page = await d.browser.repositories({
      prefix: query.get('q') ?? '',
      cursor: decodeCursor(query.get('cursor')),
      limit: parseLimit(query.get('limit')),
      visible: who.admin ? undefined : (r) => who.canRead(r),
    });
    return rep.send({ repositories: page.items.map((name) => ({ name })), next: encodeCursor(page.next) });
  });

  app.get('/tree', async (req, rep) => {
    req.routeKind = 'api-tree';
    const who = await d.auth.authorize(req, { catalog: true });
    const { query } = splitUrl(req.url);
    const parent = (query.get('parent') ?? '').replace(/\/+$/, '');
    const cursor = decodeCursor(query.get('cursor'));
    if (cursor?.includes('/')) throw new RegistryError('PAGINATION_NUMBER_INVALID', 'invalid cursor: pass back the "next" value of the previous page', undefined, 400);
    const page = await d.browser.tree({ parent, cursor, limit: parseLimit(query.get('limit')), visible: who.admin ? undefined : (r) => who.canRead(r) });
    return rep.send({ parent, nodes: page.items, next: encodeCursor(page.next) });
  });

  app.get('/repositories/*', async (req, rep) => {
    const { path, query } = splitUrl(req.url);
    const tail = path.slice(path.indexOf('/repositories/') + '/repositories/'.length);
    for (const [re, kind] of TAIL_PATTERNS) {
      const m = tail.match(re);
      if (!m) continue;
      const name = m[1]!;
      req.routeKind = `api-${kind}`;
      await d.auth.authorize(req, { repo: name, actions: ['pull'] });
      if (kind === 'tags') {
        const page = await d.views.tags(name, { cursor: decodeCursor(query.get('cursor')), limit: parseLimit(query.get('limit')) });
        return rep.send({ name, tags: page.items, next: encodeCursor(page.next) });
      }
      if (kind === 'catalog') return rep.send({ name, reference: m[2]!, ...(await d.catalogs.view(name, m[2]!, query.get('platform') ?? undefined)) });
      return rep.send({ name, ...(await d.views.manifest(name, m[2]!)) });
    }
    throw new RegistryError('UNSUPPORTED', 'no such endpoint in the JSON API (see docs/api.md)', { path: path.slice(0, 200) }, 404);
  });
}
