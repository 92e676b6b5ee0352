import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { RegistryError, StorageFullError, asStorageFull, asStorageUnavailable, isRegistryError } from '../registry/errors.js';
import type { RegistryService } from '../registry/registry-service.js';
import type { AuditLog } from '../auth/audit.js';
import type { TokenEndpoint } from '../auth/token-endpoint.js';
import type { AccessPolicy, Principal } from './access.js';
import { errorBody, header, readBody, sendError, splitUrl } from './http-util.js';
import type { RegistryMetrics } from './metrics.js';
import { parseV2Path, type V2Route } from './route-parse.js';
import type { StorageSpace } from './storage-space.js';
import { handleV2 } from './v2-handlers.js';

export interface AppDeps {
  readonly service: RegistryService;
  readonly access: AccessPolicy;
  readonly metrics: RegistryMetrics;
  /** false while draining: /readyz answers 503. */
  readonly isReady: () => boolean;
  /** Free space on the data directory: /readyz answers 503 below its minimum; told of storage-full refusals. */
  readonly space?: StorageSpace;
  readonly logger: FastifyServerOptions['logger'];
  readonly https?: { key: Buffer; cert: Buffer } | undefined;
  /** The Docker token endpoint, served at /token when authentication is on. */
  readonly tokenEndpoint?: TokenEndpoint;
  /** Audit sink for pushes and deletes (who, what); logins are audited by the authenticator. */
  readonly audit?: AuditLog;
}

declare module 'fastify' {
  interface FastifyRequest {
    routeKind?: string;
    v2route?: V2Route;
  }
}

/** The audit line for a successful write, if the request was one. */
function auditEvent(route: V2Route | undefined, method: string, status: number): { audit: 'push' | 'delete' | 'mount'; repo: string; ref?: string } | undefined {
  if (!route || status < 200 || status >= 300 || !('name' in route)) return undefined;
  if (route.kind === 'manifest' && method === 'PUT') return { audit: 'push', repo: route.name, ref: route.reference };
  if (route.kind === 'manifest' && method === 'DELETE') return { audit: 'delete', repo: route.name, ref: route.reference };
  if (route.kind === 'blob' && method === 'DELETE') return { audit: 'delete', repo: route.name, ref: route.digest };
  if (route.kind === 'upload' && method === 'PUT') return { audit: 'push', repo: route.name };
  if (route.kind === 'upload-start' && method === 'POST' && status === 201) return { audit: 'push', repo: route.name };
  return undefined;
}

/** Builds the HTTP adapter (no listen). Request bodies are left unread for handlers to stream. */
export function buildApp(deps: AppDeps): FastifyInstance {
  // Who each request was authorized as, for the audit lines of writes.
  const principals = new WeakMap<object, Principal>();
  const access: AccessPolicy = {
    async authorize(req, need) {
      const p = await deps.access.authorize(req, need);
      principals.set(req, p);
      return p;
    },
  };
  const app = Fastify({
    logger: deps.logger,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    },
    exposeHeadRoutes: false,
    // One access-log line per request is written by the onResponse hook.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreDuplicateSlashes: false, maxParamLength: 2000 },
    forceCloseConnections: 'idle',
    keepAliveTimeout: 65_000,
    requestTimeout: 0,
    ...(deps.https ? { https: deps.https } : {}),
  } as FastifyServerOptions);

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));

  app.addHook('onRequest', async (req, rep) => {
    rep.header('x-request-id', req.id);
  });
  // While draining, tell keep-alive clients to go, so idle connections do not hold the shutdown.
  app.addHook('onSend', async (_req, rep, payload) => {
    if (!deps.isReady()) rep.header('connection', 'close');
    return payload;
  });
  app.addHook('onResponse', async (req, rep) => {
    const status = rep.statusCode;
    deps.metrics.requests.inc({ route: req.routeKind ?? 'other', method: req.method, status: String(status) });
    // A body cut short (stalled, refused) did not bring its declared length.
    const inLen = Number(req.headers['content-length'] ?? 0);
    if (inLen > 0 && req.raw.complete) deps.metrics.bytesIn.inc(inLen);
    const outLen = Number(rep.getHeader('content-length') ?? 0);
    if (req.method !== 'HEAD' && outLen > 0) deps.metrics.bytesOut.inc(outLen);
    const ev = deps.audit ? auditEvent(req.v2route, req.method, status) : undefined;
    if (ev && deps.audit) {
      const digest = rep.getHeader('docker-content-digest');
      deps.audit.record({
        ...ev,
        ...(ev.ref === undefined && typeof digest === 'string' ? { ref: digest } : {}),
        user: principals.get(req.raw)?.name ?? 'anonymous',
        ip: req.socket.remoteAddress ?? 'unknown',
        status,
      });
    }
    const level = status >= 500 ? 'error' : 'info';
    req.log[level]({ method: req.method, url: req.url.split('?')[0], route: req.routeKind, status, ms: Math.round(rep.elapsedTime) }, 'request');
  });

  app.setErrorHandler((err, req, rep) => {
    const known = isRegistryError(err) ? err : (asStorageFull(err) ?? asStorageUnavailable(err));
    if (known) {
      if (known instanceof StorageFullError) {
        deps.metrics.storageFullRefusals.inc();
        deps.space?.noteFull(known);
      }
      // The unread rest of a refused or stalled body is not worth draining.
      if (known.closeConnection && !req.raw.complete) rep.header('connection', 'close');
      return sendError(rep, known);
    }
    req.log.error({ err }, 'unhandled error');
    if (rep.sent) return;
    return sendError(rep, new RegistryError('UNAVAILABLE', 'internal error; see the registry log for request ' + req.id, undefined, 500));
  });
  app.setNotFoundHandler((req, rep) => {
    rep.code(404).header('content-type', 'application/json; charset=utf-8').send(errorBody('UNSUPPORTED', `no route for ${req.method} ${req.url.split('?')[0]!.slice(0, 200)}`));
  });

  const v2 = async (req: import('fastify').FastifyRequest, rep: import('fastify').FastifyReply) => {
    rep.header('docker-distribution-api-version', 'registry/2.0');
    const { path, query } = splitUrl(req.url);
    const route = parseV2Path(path);
    req.routeKind = route.kind;
    req.v2route = route;
    return handleV2({ service: deps.service, access }, route, query, req, rep);
  };
  const methods = ['GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE'] as const;
  app.route({ method: [...methods], url: '/v2', handler: v2 });
  app.route({ method: [...methods], url: '/v2/*', handler: v2 });

  const tokens = deps.tokenEndpoint;
  if (tokens) {
    app.route({
      method: ['GET', 'POST'],
      url: '/token',
      handler: async (req, rep) => {
        req.routeKind = 'token';
        const { query } = splitUrl(req.url);
        let form: URLSearchParams | undefined;
        if (req.method === 'POST') {
          const type = header(req.raw, 'content-type') ?? '';
          if (!/^application\/x-www-form-urlencoded\b/i.test(type)) {
            throw new RegistryError('UNSUPPORTED', 'POST /token takes application/x-www-form-urlencoded', undefined, 415);
          }
          form = new URLSearchParams((await readBody(req.raw, 64 * 1024, deps.service.blobs.idleTimeoutMs)).toString('utf8'));
        }
        const r = await tokens.handle({ method: req.method, query, authorization: req.headers.authorization, ip: req.socket.remoteAddress ?? 'unknown', ...(form ? { form } : {}) });
        return rep.code(r.status).headers(r.headers).send(r.body);
      },
    });
  }

  app.get('/healthz', async (_req, rep) => rep.header('content-type', 'application/json').send('{"status":"ok"}'));
  app.get('/readyz', async (req, rep) => {
    if (!deps.isReady()) return rep.code(503).send('{"status":"draining"}');
    rep.header('content-type', 'application/json');
    if (deps.space) {
      let body: object | undefined;
      try {
        const s = await deps.space.check();
        if (!s.ok) body = { status: 'storage full', freeBytes: s.freeBytes, minFreeBytes: s.minFreeBytes };
      } catch (e) {
        req.log.error({ err: e }, 'cannot read the free space of the data directory');
        body = { status: 'storage unavailable' };
      }
      if (body) return rep.code(503).send(JSON.stringify(body));
    }
    return rep.send('{"status":"ready"}');
  });
  app.get('/metrics', async (_req, rep) => {
    const text = await deps.metrics.registry.metrics();
    return rep.header('content-type', deps.metrics.registry.contentType).send(text);
  });
  return app;
}
