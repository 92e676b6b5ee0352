/**
 * A registry that refuses deep repository paths, as GitLab, Quay or Harbor
 * do: an HTTP front on 127.0.0.1 that answers 400 NAME_INVALID to any
 * `/v2/<name>/…` request whose name has more than `maxDepth` components
 * below the host, and passes everything else to a real registry.
 */
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DepthLimitedRegistry {
  readonly hostPort: string;
  /** Repository names refused so far. */
  readonly refused: string[];
  close(): Promise<void>;
}

const TAIL = /^\/v2\/(.+?)\/(?:blobs|manifests|tags|referrers)\//;

export async function startDepthLimitedRegistry(upstream: string, maxDepth: number): Promise<DepthLimitedRegistry> {
  const [host, port] = upstream.split(':') as [string, string];
  const refused: string[] = [];
  const server = createServer((req, res) => {
    const m = TAIL.exec(req.url ?? '');
    if (m && m[1]!.split('/').length > maxDepth) {
      refused.push(m[1]!);
      req.resume();
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'NAME_INVALID', message: `invalid repository name: at most ${maxDepth} path components`, detail: m[1] }] }));
      return;
    }
    const up = httpRequest({ host, port: Number(port), method: req.method, path: req.url, headers: req.headers }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    hostPort: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    refused,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
