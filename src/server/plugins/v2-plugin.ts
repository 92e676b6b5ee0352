/**
 * The distribution API under /v2: routing from the path's tail
 * (route-parse.ts), the handlers (v2-handlers.ts) and the audit lines of
 * writes. Its hooks apply to /v2 only.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditLog } from '../../auth/audit.js';
import type { RegistryService } from '../../registry/registry-service.js';
import type { AccessPolicy, Principal } from '../access.js';
import { splitUrl } from '../http-util.js';
import { parseV2Path, type V2Route } from '../route-parse.js';
import { handleV2 } from '../v2-handlers.js';
import { clientAddress } from '../../util/client-address.js';

export interface V2PluginOptions {
  readonly service: RegistryService;
  readonly access: AccessPolicy;
  /** Audit sink for pushes and deletes (who, what); logins are audited by the authenticator. */
  readonly audit?: AuditLog | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
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

/**
 * The `route` label of a request's metrics and log line: the route's kind,
 * with the three ways a POST to `…/blobs/uploads/` ends told apart (a
 * cross-repository mount, a monolithic upload with `?digest=`, or a session).
 */
function metricsRoute(route: V2Route, method: string, query: URLSearchParams): string {
  if (route.kind !== 'upload-start' || method !== 'POST') return route.kind;
  if (query.has('mount')) return 'blob-mount';
  return query.has('digest') ? 'upload-monolithic' : 'upload-start';
}

/** Registered with prefix `/v2`. */
export const v2Plugin: FastifyPluginAsync<V2PluginOptions> = async (app, o) => {
  // Who each request was authorized as, for the audit lines of writes.
  const principals = new WeakMap<object, Principal>();
  const access: AccessPolicy = {
    async authorize(req, need) {
      const p = await o.access.authorize(req, need);
      principals.set(req, p);
      return p;
    },
  };
  const audit = o.audit;
  if (audit) {
    app.addHook('onResponse', async (req, rep) => {
      const ev = auditEvent(req.v2route, req.method, rep.statusCode);
      if (!ev) return;
      const digest = rep.getHeader('docker-content-digest');
      audit.record({
        ...ev,
        ...(ev.ref === undefined && typeof digest === 'string' ? { ref: digest } : {}),
        user: principals.get(req.raw)?.name ?? 'anonymous',
        ip: clientAddress(req.raw),
        status: rep.statusCode,
      });
    });
  }
  const handler = async (req: FastifyRequest, rep: FastifyReply): Promise<unknown> => {
    rep.header('docker-distribution-api-version', 'registry/2.0');
    const { path, query } = splitUrl(req.url);
    const route = parseV2Path(path);
    req.routeKind = metricsRoute(route, req.method, query);
    req.v2route = route;
    return handleV2({ service: o.service, access }, route, query, req, rep);
  };
  const methods = ['GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE'];
  app.route({ method: methods, url: '', prefixTrailingSlash: 'no-slash', handler });
  app.route({ method: methods, url: '/*', handler });
};
