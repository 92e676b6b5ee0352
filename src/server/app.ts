import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { RegistryError, StorageFullError, asStorageFull, asStorageUnavailable, isRegistryError } from '../registry/errors.js';
import type { RegistryService } from '../registry/registry-service.js';
import type { AuditLog } from '../auth/audit.js';
import type { TokenEndpoint } from '../auth/token-endpoint.js';
import type { AccessPolicy } from './access.js';
import { apiPlugin, type ApiPluginOptions } from './api/api-plugin.js';
import { asFastifyRefusal, errorBody, sendError } from './http-util.js';
import type { RegistryMetrics } from './metrics.js';
import { healthPlugin } from './plugins/health-plugin.js';
import { metricsPlugin } from './plugins/metrics-plugin.js';
import { tokenPlugin } from './plugins/token-plugin.js';
import { uiPlugin } from './plugins/ui-plugin.js';
import { v2Plugin } from './plugins/v2-plugin.js';
import type { StorageSpace } from './storage-space.js';
import { clientAddress, noteClientAddress, type TrustedProxies } from '../util/client-address.js';

export interface AppDeps {
  readonly service: RegistryService;
  readonly access: AccessPolicy;
  readonly metrics: RegistryMetrics;
  /** false while draining: /readyz answers 503. */
  readonly isReady: () => boolean;
  /** Free space on the data directory: /readyz answers 503 below its minimum; told of storage-full refusals. */
  readonly space?: StorageSpace;
  /** The blob storage's check: /readyz answers 503 while it fails. */
  readonly storageCheck?: () => Promise<void>;
  /** The metadata store's check (a query): /readyz answers 503 while it fails. */
  readonly metadataCheck?: () => Promise<void>;
  readonly logger: FastifyServerOptions['logger'];
  readonly https?: { key: Buffer; cert: Buffer } | undefined;
  /** The Docker token endpoint, served at /token when authentication is on. */
  readonly tokenEndpoint?: TokenEndpoint;
  /** Audit sink for pushes and deletes (who, what); logins are audited by the authenticator. */
  readonly audit?: AuditLog;
  /** The JSON API under /api/v1 (off when absent). */
  readonly api?: Omit<ApiPluginOptions, 'service' | 'access'>;
  /** The console at / (over the JSON API; default on when the API is). */
  readonly console?: boolean;
  /** Proxies whose X-Forwarded-For names the client (--trusted-proxy); none: the TCP peer is the client. */
  readonly trustedProxies?: TrustedProxies;
}

declare module 'fastify' {
  interface FastifyRequest {
    routeKind?: string;
  }
}

/**
 * Builds the HTTP adapter (no listen): the root instance holds what every
 * surface shares (request ids, the access log and request metrics, the
 * drain header, the OCI error envelope, the 404 answer); each surface is a
 * plugin with its own prefix and hooks (server/plugins/). Request bodies are
 * left unread for handlers to stream.
 */
export function buildApp(deps: AppDeps): FastifyInstance {
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

  const proxies = deps.trustedProxies;
  app.addHook('onRequest', async (req, rep) => {
    if (proxies && proxies.size > 0) noteClientAddress(req.raw, proxies.clientOf(req.socket.remoteAddress, req.headers['x-forwarded-for']));
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
    const level = status >= 500 ? 'error' : 'info';
    req.log[level]({ method: req.method, url: req.url.split('?')[0], route: req.routeKind, status, ms: Math.round(rep.elapsedTime), client: clientAddress(req.raw) }, 'request');
  });

  app.setErrorHandler((err, req, rep) => {
    const known = isRegistryError(err) ? err : (asStorageFull(err) ?? asStorageUnavailable(err) ?? asFastifyRefusal(err));
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

  void app.register(v2Plugin, { prefix: '/v2', service: deps.service, access: deps.access, audit: deps.audit });
  if (deps.tokenEndpoint) void app.register(tokenPlugin, { endpoint: deps.tokenEndpoint, idleTimeoutMs: deps.service.blobs.idleTimeoutMs });
  void app.register(healthPlugin, { isReady: deps.isReady, space: deps.space, storageCheck: deps.storageCheck, metadataCheck: deps.metadataCheck });
  void app.register(metricsPlugin, { metrics: deps.metrics });
  if (deps.api) void app.register(apiPlugin, { prefix: '/api/v1', service: deps.service, access: deps.access, ...deps.api });
  if (deps.api && deps.console !== false) void app.register(uiPlugin, {});
  return app;
}
