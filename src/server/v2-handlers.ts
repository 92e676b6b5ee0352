import type { FastifyReply, FastifyRequest } from 'fastify';
import { RegistryError } from '../registry/errors.js';
import type { RegistryService } from '../registry/registry-service.js';
import { uploadRange, type UploadClient } from '../registry/uploads.js';
import type { AccessPolicy, Principal } from './access.js';
import { chunkInfo, header, parseRange, readBody } from './http-util.js';
import type { V2Route } from './route-parse.js';
import { clientAddress } from '../util/client-address.js';

export interface V2Context {
  readonly service: RegistryService;
  readonly access: AccessPolicy;
}

type Req = FastifyRequest;
type Rep = FastifyReply;

const LOCATION_PREFIX = '/v2/';

function uploadLocation(name: string, id: string): string {
  return `${LOCATION_PREFIX}${name}/blobs/uploads/${id}`;
}

function unsupported(method: string): RegistryError {
  return new RegistryError('UNSUPPORTED', `method ${method} is not supported on this endpoint`);
}

function linkHeader(path: string, n: number, last: string): string {
  return `<${path}?last=${encodeURIComponent(last)}&n=${n}>; rel="next"`;
}

/** Dispatches one /v2 request. Errors propagate as RegistryError. */
export async function handleV2(ctx: V2Context, route: V2Route, query: URLSearchParams, req: Req, rep: Rep): Promise<unknown> {
  const m = req.method;
  const raw = req.raw;
  switch (route.kind) {
    case 'ping':
      await ctx.access.authorize(raw, { ping: true });
      return rep.header('content-type', 'application/json').send('{}');

    case 'catalog': {
      if (m !== 'GET') throw unsupported(m);
      const who = await ctx.access.authorize(raw, { catalog: true });
      const n = query.get('n') ?? undefined;
      const page = await ctx.service.catalog(n, query.get('last') ?? undefined, (r) => who.canRead(r));
      if (page.next !== undefined) rep.header('link', linkHeader('/v2/_catalog', page.items.length, page.next));
      return rep.header('content-type', 'application/json').send(JSON.stringify({ repositories: page.items }));
    }

    case 'tags': {
      if (m !== 'GET') throw unsupported(m);
      await ctx.access.authorize(raw, { repo: route.name, actions: ['pull'] });
      const page = await ctx.service.listTags(route.name, query.get('n') ?? undefined, query.get('last') ?? undefined);
      if (page.next !== undefined) rep.header('link', linkHeader(`/v2/${route.name}/tags/list`, page.items.length, page.next));
      return rep.header('content-type', 'application/json').send(JSON.stringify({ name: route.name, tags: page.items }));
    }

    case 'referrers': {
      if (m !== 'GET') throw unsupported(m);
      await ctx.access.authorize(raw, { repo: route.name, actions: ['pull'] });
      const at = query.get('artifactType') ?? undefined;
      const r = await ctx.service.referrers(route.name, route.digest, at);
      if (r.filtered) rep.header('oci-filters-applied', 'artifactType');
      return rep.header('content-type', 'application/vnd.oci.image.index.v1+json').send(r.body);
    }

    case 'manifest':
      return manifest(ctx, route.name, route.reference, query, req, rep);

    case 'blob':
      return blob(ctx, route.name, route.digest, req, rep);

    case 'upload-start': {
      if (m !== 'POST') throw unsupported(m);
      return uploadStart(ctx, route.name, query, req, rep);
    }

    case 'upload':
      return upload(ctx, route.name, route.id, query, req, rep);

    case 'unknown':
      throw new RegistryError('UNSUPPORTED', 'no such endpoint in the registry API', { path: req.url.split('?')[0]!.slice(0, 200) }, 404);
  }
}

async function manifest(ctx: V2Context, name: string, reference: string, query: URLSearchParams, req: Req, rep: Rep): Promise<unknown> {
  const m = req.method;
  if (m === 'GET' || m === 'HEAD') {
    await ctx.access.authorize(req.raw, { repo: name, actions: ['pull'] });
    const rec = await ctx.service.getManifest(name, reference);
    rep.header('content-type', rec.mediaType).header('docker-content-digest', rec.digest).header('etag', `"${rec.digest}"`);
    rep.header('content-length', rec.size);
    return m === 'HEAD' ? rep.send() : rep.send(rec.content);
  }
  if (m === 'PUT') {
    await ctx.access.authorize(req.raw, { repo: name, actions: ['push'] });
    const body = await readBody(req.raw, ctx.service.opts.manifestMaxBytes, ctx.service.blobs.idleTimeoutMs);
    const r = await ctx.service.putManifest(name, reference, body, header(req.raw, 'content-type') ?? '', query.getAll('tag'));
    if (r.subject) rep.header('oci-subject', r.subject);
    // A push by digest with ?tag= names every tag it set (distribution-spec: OCI-Tag, RFC 9110 list syntax).
    if (query.has('tag') && r.tags.length > 0) rep.header('oci-tag', r.tags.join(', '));
    return rep.code(201).header('location', `/v2/${name}/manifests/${r.digest}`).header('docker-content-digest', r.digest).send();
  }
  if (m === 'DELETE') {
    await ctx.access.authorize(req.raw, { repo: name, actions: ['delete'] });
    await ctx.service.deleteManifest(name, reference);
    return rep.code(202).send();
  }
  throw unsupported(m);
}

async function blob(ctx: V2Context, name: string, digest: string, req: Req, rep: Rep): Promise<unknown> {
  const m = req.method;
  if (m === 'GET' || m === 'HEAD') {
    await ctx.access.authorize(req.raw, { repo: name, actions: ['pull'] });
    const stat = await ctx.service.statBlob(name, digest);
    rep.header('docker-content-digest', stat.digest).header('etag', `"${stat.digest}"`).header('accept-ranges', 'bytes');
    rep.header('content-type', 'application/octet-stream');
    if (m === 'HEAD') return rep.header('content-length', stat.size).send();
    const redirect = await ctx.service.blobRedirect(stat);
    if (redirect !== undefined) return rep.code(307).header('location', redirect).header('content-length', 0).send();
    const range = parseRange(header(req.raw, 'range'), stat.size);
    const r = await ctx.service.readBlob(stat, range);
    if (r.range) {
      rep.code(206).header('content-range', `bytes ${r.range.start}-${r.range.end}/${r.size}`);
      rep.header('content-length', r.range.end - r.range.start + 1);
    } else {
      rep.header('content-length', r.size);
    }
    return rep.send(r.stream);
  }
  if (m === 'DELETE') {
    await ctx.access.authorize(req.raw, { repo: name, actions: ['delete'] });
    await ctx.service.deleteBlob(name, digest);
    return rep.code(202).send();
  }
  throw unsupported(m);
}

/**
 * Who opens an upload session, for the open-session caps: the account and
 * the client address. 'anonymous' is the principal of an open registry (no
 * accounts; anonymous callers of an authenticated one cannot push), so only
 * the address counts then.
 */
function uploadClient(who: Principal, req: Req): UploadClient {
  return { ...(who.name !== 'anonymous' ? { account: who.name } : {}), address: clientAddress(req.raw) };
}

async function uploadStart(ctx: V2Context, name: string, query: URLSearchParams, req: Req, rep: Rep): Promise<unknown> {
  const who = await ctx.access.authorize(req.raw, { repo: name, actions: ['pull', 'push'] });
  const mount = query.get('mount');
  if (mount !== null) {
    // `from` is a hint: without it (or when it fails) any repository the caller may pull can be the source.
    const mounted = await ctx.service.uploads.mount(name, mount, query.get('from') || undefined, (r) => who.canRead(r));
    if (mounted) {
      req.raw.resume();
      return rep.code(201).header('location', `/v2/${name}/blobs/${mounted.digest}`).header('docker-content-digest', mounted.digest).send();
    }
  }
  const digest = query.get('digest');
  if (digest !== null && mount === null) {
    const done = await ctx.service.uploads.monolithic(name, digest, req.raw, chunkInfo(req.raw), uploadClient(who, req));
    return rep.code(201).header('location', `/v2/${name}/blobs/${done.digest}`).header('docker-content-digest', done.digest).send();
  }
  req.raw.resume();
  const s = await ctx.service.uploads.start(name, uploadClient(who, req));
  return rep
    .code(202)
    .header('location', uploadLocation(name, s.id))
    .header('docker-upload-uuid', s.id)
    .header('range', uploadRange(0))
    .header('content-length', 0)
    .send();
}

async function upload(ctx: V2Context, name: string, id: string, query: URLSearchParams, req: Req, rep: Rep): Promise<unknown> {
  const m = req.method;
  const actions = m === 'GET' ? (['pull'] as const) : (['pull', 'push'] as const);
  await ctx.access.authorize(req.raw, { repo: name, actions });
  const progress = (size: number): Rep =>
    rep.header('location', uploadLocation(name, id)).header('docker-upload-uuid', id).header('range', uploadRange(size));
  switch (m) {
    case 'GET': {
      const s = await ctx.service.uploads.status(name, id);
      return progress(s.size).code(204).send();
    }
    case 'PATCH': {
      const s = await ctx.service.uploads.patch(name, id, req.raw, chunkInfo(req.raw));
      return progress(s.size).code(202).header('content-length', 0).send();
    }
    case 'PUT': {
      const done = await ctx.service.uploads.complete(name, id, query.get('digest') ?? undefined, req.raw, chunkInfo(req.raw));
      return rep.code(201).header('location', `/v2/${name}/blobs/${done.digest}`).header('docker-content-digest', done.digest).send();
    }
    case 'DELETE':
      await ctx.service.uploads.cancel(name, id);
      return rep.code(204).send();
    default:
      throw unsupported(m);
  }
}
