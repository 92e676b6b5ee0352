/**
 * Mirror runs: `POST /api/v1/mirror-runs` takes the report a mirror command
 * sends with `--report-to-registry` (the sender needs push on every
 * repository the report names); `GET /api/v1/mirror-runs` lists them newest
 * first for whoever may pull at least one of those repositories (admins see
 * all). Stored in the metadata store's run log (metadata/run-log.ts), shared by replicas.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RunLogQueries } from '../../metadata/run-log.js';
import { RegistryError } from '../../registry/errors.js';
import { splitUrl } from '../http-util.js';
import type { ApiAuth } from './api-auth.js';
import { parseLimit } from './params.js';

const REPO_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const time = z.number().int().min(0).max(8.64e15);

export const MirrorRunBody = z.object({
  command: z.string().min(1).max(100),
  startedAt: time,
  finishedAt: time,
  dryRun: z.boolean(),
  repositories: z.array(z.string().max(255).regex(REPO_RE, 'not a repository name')).min(1).max(100),
  images: count,
  bytes: count,
  blobsTransferred: count,
  blobsMounted: count,
  blobsPresent: count,
  missingCount: count,
  missing: z.array(z.string().max(1000)).max(200),
  failedCount: count,
  failed: z.array(z.object({ image: z.string().max(1000), error: z.string().max(2000) }).strict()).max(200),
}).strict();

export function mirrorRunRoutes(app: FastifyInstance, d: { auth: ApiAuth; runs: RunLogQueries }): void {
  app.post('/mirror-runs', async (req, rep) => {
    req.routeKind = 'api-mirror-runs';
    const body = MirrorRunBody.safeParse(req.body);
    if (!body.success) {
      const issue = body.error.issues[0]!;
      throw new RegistryError('UNSUPPORTED', `invalid mirror run report: ${issue.path.join('.') || 'body'}: ${issue.message} (see docs/api.md, "Mirror runs")`, undefined, 400);
    }
    let who = '';
    for (const repo of new Set(body.data.repositories)) who = (await d.auth.authorize(req, { repo, actions: ['push'] })).name;
    const run = await d.runs.addMirrorRun(body.data, who);
    return rep.code(201).send({ id: run.id, receivedAt: run.receivedAt });
  });

  app.get('/mirror-runs', async (req, rep) => {
    req.routeKind = 'api-mirror-runs';
    const who = await d.auth.authorize(req, { ping: true });
    const { query } = splitUrl(req.url);
    const limit = parseLimit(query.get('limit'));
    const rawBefore = query.get('cursor');
    if (rawBefore !== null && !/^\d{1,15}$/.test(rawBefore)) throw new RegistryError('PAGINATION_NUMBER_INVALID', 'invalid cursor: pass back the "next" value of the previous page', undefined, 400);
    const before = rawBefore === null ? undefined : Number(rawBefore);
    // Filtering may drop rows: read ahead in chunks until the page is full or the log ends.
    const out = [];
    let cursor = before;
    let exhausted = false;
    while (out.length < limit && !exhausted) {
      const chunk = await d.runs.mirrorRuns(limit, cursor);
      exhausted = chunk.length < limit;
      for (const r of chunk) {
        cursor = r.id;
        if (who.admin || r.repositories.some((x) => who.canRead(x))) out.push(r);
        if (out.length === limit) break;
      }
    }
    const next = out.length === limit && (await d.runs.mirrorRuns(1, cursor)).length > 0 ? String(cursor) : null;
    return rep.send({ runs: out, next });
  });
}
