/**
 * A Cincinnati update-graph server on 127.0.0.1 for tests: answers
 * `GET /graph?channel=C&arch=A` with the graph registered for (C, A), 404
 * for an unknown channel, and records every request (URL and Accept header).
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GraphDoc {
  nodes: { version: string; payload: string; metadata?: Record<string, string> }[];
  edges: [number, number][];
  conditionalEdges?: unknown[];
}

export interface GraphServer {
  readonly url: string;
  readonly requests: { url: URL; accept: string | undefined }[];
  set(channel: string, arch: string, graph: GraphDoc): void;
  close(): Promise<void>;
}

export async function startGraphServer(): Promise<GraphServer> {
  const graphs = new Map<string, GraphDoc>();
  const requests: { url: URL; accept: string | undefined }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push({ url, accept: req.headers.accept });
    const g = url.pathname === '/graph' ? graphs.get(`${url.searchParams.get('channel')}\u0000${url.searchParams.get('arch')}`) : undefined;
    if (g === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Error', reason: 'invalid_channel' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(g));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graph`,
    requests,
    set: (channel, arch, graph) => graphs.set(`${channel}\u0000${arch}`, graph),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A graph of `versions` (payloads from `payload(version)`) with edges between the named versions. */
export function graphOf(versions: readonly string[], edges: readonly [string, string][], payload: (v: string) => string): GraphDoc {
  const idx = (v: string): number => {
    const i = versions.indexOf(v);
    if (i < 0) throw new Error(`graphOf: ${v} is not a node`);
    return i;
  };
  return {
    nodes: versions.map((version) => ({ version, payload: payload(version), metadata: { 'io.openshift.upgrades.graph.release.channels': 'stable-4.18,fast-4.18' } })),
    edges: edges.map(([a, b]) => [idx(a), idx(b)]),
    conditionalEdges: [],
  };
}
