/** A Helm chart repository on loopback: a plain node HTTP server serving index.yaml and chart archives from memory, counting requests. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HelmRepoServer {
  /** `http://127.0.0.1:PORT/charts` (the repository URL, index.yaml under it). */
  readonly url: string;
  readonly requests: string[];
  set(path: string, data: Buffer | string): void;
  close(): Promise<void>;
}

export async function startHelmRepo(): Promise<HelmRepoServer> {
  const files = new Map<string, Buffer>();
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(path);
    const body = files.get(path);
    if (req.method !== 'GET' || body === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': path.endsWith('.yaml') ? 'application/x-yaml' : 'application/gzip', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/charts`,
    requests,
    set: (path, data) => files.set(`/charts/${path}`, Buffer.isBuffer(data) ? data : Buffer.from(data)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
