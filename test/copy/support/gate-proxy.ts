/**
 * A loopback HTTP proxy in front of a real registry that adds what the
 * in-process registries lack, to test the client side: Basic or Bearer auth
 * (with its own token endpoint, scope checks, token expiry and revocation),
 * blob GETs redirected to a separate "object store" listener, and injected
 * faults (status codes with Retry-After, connection resets, truncated bodies).
 * Everything else is forwarded unchanged to the upstream registry.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface Fault {
  match: (method: string, path: string, headers: IncomingHttpHeaders) => boolean;
  /**
   * `path` includes the query. An HTTP status to answer, 'reset' to destroy
   * the socket, 'truncate' to forward but cut the response body, 'stall' to
   * never answer (nor read the request body), 'hang' to forward the headers
   * and the first `bytes` (64 KiB) of the response body then send nothing
   * more while keeping the connection open, 'cut' to forward `bytes` (1 MiB)
   * of the request body then drop both connections.
   */
  action: number | 'reset' | 'truncate' | 'stall' | 'hang' | 'cut';
  retryAfter?: string;
  /** For 'hang' and 'cut'. */
  bytes?: number;
  times: number;
}

export interface GateOptions {
  upstream: string;
  auth?: 'basic' | 'bearer';
  users?: Record<string, string>;
  /** Bearer: lifetime announced and enforced, seconds (default 300). */
  tokenTtlSeconds?: number;
  /** Bearer: answer 400 to token requests with more than one scope. */
  refuseMultipleScopes?: boolean;
  /** Send blob GETs to the object-store listener with a 307. */
  redirectBlobs?: boolean;
  /** Wait this long before handling each request (makes concurrency observable). */
  delayMs?: number;
  /** Told +1 when a request arrives and -1 when its response is over. */
  onActive?: (delta: 1 | -1) => void;
}

export interface GateProxy {
  readonly url: string;
  readonly hostPort: string;
  readonly log: { method: string; path: string; status: number; contentRange?: string }[];
  readonly tokenRequests: { scopes: string[]; user: string | undefined }[];
  readonly faults: Fault[];
  /** Requests that reached the object store carrying an Authorization header. */
  objectStoreAuthorized: number;
  objectStoreRequests: number;
  revokeTokens(): void;
  close(): Promise<void>;
}

interface Token {
  atoms: Set<string>;
  expires: number;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function basicUser(h: string | undefined, users: Record<string, string>): string | undefined {
  if (!h?.startsWith('Basic ')) return undefined;
  const [u, ...rest] = Buffer.from(h.slice(6), 'base64').toString('utf8').split(':');
  return u !== undefined && users[u] !== undefined && users[u] === rest.join(':') ? u : undefined;
}

/** Repository and actions a /v2 request needs (mount adds pull on `from`). */
function needed(method: string, url: URL): { repo: string; atoms: string[] } | undefined {
  const m = /^\/v2\/(.+?)\/(manifests|blobs|tags)\//.exec(url.pathname);
  if (!m) return undefined;
  const action = method === 'GET' || method === 'HEAD' ? 'pull' : 'push';
  const atoms = action === 'push' ? [`${m[1]}:pull`, `${m[1]}:push`] : [`${m[1]}:pull`];
  const from = url.searchParams.get('from');
  if (from !== null) atoms.push(`${from}:pull`);
  return { repo: m[1]!, atoms };
}

export async function startGateProxy(opts: GateOptions): Promise<GateProxy> {
  const up = new URL(opts.upstream);
  const users = opts.users ?? {};
  const tokens = new Map<string, Token>();
  const ttl = opts.tokenTtlSeconds ?? 300;
  let selfOrigin = '';
  let objectOrigin = '';

  const forward = (req: IncomingMessage, res: ServerResponse, path: string, fault: Fault | undefined, record: (s: number) => void): void => {
    const truncate = fault?.action === 'truncate';
    const cut = fault?.action === 'cut';
    const hangAfter = fault?.action === 'hang' ? (fault.bytes ?? 64 * 1024) : undefined;
    const headers = { ...req.headers, host: up.host };
    delete headers.authorization;
    const preq = httpRequest({ host: up.hostname, port: up.port, method: req.method, path, headers }, (pres) => {
      const h = { ...pres.headers };
      if (typeof h.location === 'string' && h.location.startsWith(up.origin)) h.location = selfOrigin + h.location.slice(up.origin.length);
      record(pres.statusCode ?? 0);
      res.writeHead(pres.statusCode ?? 502, h);
      if (hangAfter !== undefined) {
        res.flushHeaders();
        let sent = 0;
        pres.on('data', (c: Buffer) => {
          if (sent >= hangAfter) return;
          const piece = c.subarray(0, hangAfter - sent);
          sent += piece.length;
          res.write(piece);
        });
        return;
      }
      if (!truncate) {
        pres.pipe(res);
        return;
      }
      let sent = 0;
      pres.on('data', (c: Buffer) => {
        sent += c.length;
        res.write(c);
        if (sent > 1000) {
          pres.destroy();
          res.socket?.destroy();
        }
      });
      pres.on('end', () => res.end());
    });
    preq.on('error', () => res.socket?.destroy());
    if (!cut) {
      req.pipe(preq);
      return;
    }
    let sent = 0;
    const limit = fault?.bytes ?? 1 << 20;
    req.on('data', (c: Buffer) => {
      if (sent >= limit) return;
      sent += c.length;
      preq.write(c);
      if (sent >= limit) {
        record(0);
        preq.destroy();
        req.socket.destroy();
      }
    });
    req.on('end', () => {
      if (sent < limit) preq.end();
    });
  };

  const challenge = (res: ServerResponse, scope: string | undefined): void => {
    const params = opts.auth === 'bearer' ? `Bearer realm="${selfOrigin}/token",service="gate"${scope ? `,scope="${scope}"` : ''}` : 'Basic realm="gate"';
    res.writeHead(401, { 'www-authenticate': params, 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
  };

  const gate: GateProxy = {
    url: '',
    hostPort: '',
    log: [],
    tokenRequests: [],
    faults: [],
    objectStoreAuthorized: 0,
    objectStoreRequests: 0,
    revokeTokens: () => tokens.clear(),
    close: async () => {},
  };

  const server = createServer((req, res) => {
    if (opts.onActive) {
      opts.onActive(1);
      res.once('close', () => opts.onActive!(-1));
    }
    if (opts.delayMs) setTimeout(() => handle(req, res), opts.delayMs);
    else handle(req, res);
  });
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const contentRange = req.headers['content-range'];
    const record = (status: number): void => void gate.log.push({ method, path: url.pathname + url.search, status, ...(contentRange ? { contentRange } : {}) });
    if (url.pathname === '/token') {
      const scopes = url.searchParams.getAll('scope');
      const user = basicUser(req.headers.authorization, users);
      gate.tokenRequests.push({ scopes, user });
      if (req.headers.authorization !== undefined && user === undefined) {
        res.writeHead(401).end();
        return;
      }
      if (opts.refuseMultipleScopes && scopes.length > 1) {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"details":"multiple scopes refused"}');
        return;
      }
      const atoms = new Set<string>();
      for (const s of scopes) {
        const [, repo, actions] = /^repository:(.+):([a-z,]+)$/.exec(s) ?? [];
        if (repo !== undefined && actions !== undefined) for (const a of actions.split(',')) atoms.add(`${repo}:${a}`);
      }
      const token = randomBytes(12).toString('hex');
      tokens.set(token, { atoms, expires: Date.now() + ttl * 1000 });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, expires_in: ttl }));
      return;
    }
    const fault = gate.faults.find((f) => f.times > 0 && f.match(method, url.pathname + url.search, req.headers));
    if (fault) fault.times--;
    if (fault && fault.action === 'stall') {
      record(0);
      return;
    }
    if (fault && fault.action === 'reset') {
      record(0);
      req.socket.destroy();
      return;
    }
    if (fault && typeof fault.action === 'number') {
      record(fault.action);
      req.resume();
      res.writeHead(fault.action, { 'content-type': 'application/json', ...(fault.retryAfter ? { 'retry-after': fault.retryAfter } : {}) });
      res.end(JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: 'injected' }] }));
      return;
    }
    if (opts.auth === 'basic' && basicUser(req.headers.authorization, users) === undefined) {
      record(401);
      req.resume();
      challenge(res, undefined);
      return;
    }
    if (opts.auth === 'bearer') {
      const h = req.headers.authorization;
      const tok = h?.startsWith('Bearer ') ? tokens.get(h.slice(7)) : undefined;
      const need = needed(method, url);
      const ok = tok !== undefined && tok.expires > Date.now() && (need === undefined || need.atoms.every((a) => tok.atoms.has(a)));
      if (!ok) {
        record(401);
        req.resume();
        challenge(res, need ? `repository:${need.repo}:${need.atoms.some((a) => a.endsWith(':push')) ? 'pull,push' : 'pull'}` : undefined);
        return;
      }
    }
    if (opts.redirectBlobs && method === 'GET' && /\/blobs\/sha256:/.test(url.pathname)) {
      record(307);
      req.resume();
      res.writeHead(307, { location: `${objectOrigin}${url.pathname}` }).end();
      return;
    }
    forward(req, res, url.pathname + url.search, fault, record);
  };

  const objectStore = createServer((req, res) => {
    gate.objectStoreRequests++;
    if (req.headers.authorization !== undefined) gate.objectStoreAuthorized++;
    forward(req, res, req.url ?? '/', undefined, () => {});
  });

  const port = await listen(server);
  const objPort = await listen(objectStore);
  selfOrigin = `http://127.0.0.1:${port}`;
  objectOrigin = `http://127.0.0.1:${objPort}`;
  Object.assign(gate, {
    url: selfOrigin,
    hostPort: `127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      objectStore.closeAllConnections();
      await Promise.all([new Promise((r) => server.close(r)), new Promise((r) => objectStore.close(r))]);
    },
  });
  return gate;
}
