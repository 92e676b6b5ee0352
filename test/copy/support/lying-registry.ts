/**
 * A registry that lies. A small loopback HTTP server speaking just enough of
 * the distribution pull API (GET /v2/, GET/HEAD manifests by tag or digest,
 * GET/HEAD blobs) to serve real images from memory, and lying on demand per
 * blob or manifest, the way a hostile or broken source would:
 *
 * - 'wrong-bytes'   the right Content-Length, different bytes (one flipped byte);
 * - 'short'         Content-Length says the full size, half is sent, then the
 *                   server closes the connection (FIN);
 * - 'drop'          half the body is sent, then the connection is reset (RST);
 * - 'extra'         the blob, then more bytes, all declared (Content-Length is
 *                   the descriptor's size + 4096);
 * - 'overrun'       Content-Length is the right size, but more bytes follow on
 *                   the wire (garbage after the response on a kept-alive socket);
 * - 'truncate-json' (manifests) the first half of the JSON, with a matching
 *                   Content-Length (a complete, short, wrong answer).
 * - 'other-manifest' (manifests by digest) a different, valid manifest.
 *
 * Written independently of airlock's code: only node:http and node:crypto.
 * HEAD answers stay truthful (a liar that also lies to HEAD is no harder).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Lie = 'wrong-bytes' | 'short' | 'drop' | 'extra' | 'overrun' | 'truncate-json' | 'other-manifest';

export interface BlobDesc {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

export interface ServedImage {
  readonly repository: string;
  readonly tag: string;
  /** Digest of the manifest. */
  readonly digest: string;
  readonly manifest: Buffer;
  readonly config: BlobDesc;
  readonly layers: readonly BlobDesc[];
  /** Config first, then layers. */
  readonly blobs: readonly BlobDesc[];
}

export interface LyingRegistry {
  readonly url: string;
  readonly hostPort: string;
  /** Every request: method, path and what the server did. */
  readonly log: { method: string; path: string; lie?: Lie }[];
  /** Serves an image (an OCI manifest over `config` and `layers`) as `repository:tag`. */
  addImage(repository: string, tag: string, config: Buffer, layers: readonly Buffer[]): ServedImage;
  /**
   * Lies about `digestOrTag` (a blob digest, a manifest digest, or `repo:tag`)
   * the next `times` GETs (default: every time).
   */
  lie(digestOrTag: string, lie: Lie, times?: number): void;
  /** Lies not yet told (times left > 0). */
  pendingLies(): { target: string; lie: Lie; times: number }[];
  /** GETs of `digestOrTag` served so far. */
  gets(digestOrTag: string): number;
  close(): Promise<void>;
}

export const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

export async function startLyingRegistry(): Promise<LyingRegistry> {
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, Buffer>(); // by digest
  const tags = new Map<string, string>(); // "repo:tag" -> digest
  const repos = new Set<string>();
  const lies = new Map<string, { lie: Lie; times: number }>();
  const gets = new Map<string, number>();
  const log: LyingRegistry['log'] = [];
  const sockets = new Set<Socket>();

  const takeLie = (key: string): Lie | undefined => {
    const l = lies.get(key);
    if (l === undefined || l.times <= 0) return undefined;
    l.times--;
    return l.lie;
  };

  /** Sends `body` as a lie (or the truth) with `headers`. */
  const send = (res: ServerResponse, body: Buffer, headers: Record<string, string>, lie: Lie | undefined, other?: Buffer): void => {
    const half = Math.floor(body.length / 2);
    switch (lie) {
      case undefined:
        res.writeHead(200, { ...headers, 'content-length': String(body.length) }).end(body);
        return;
      case 'wrong-bytes': {
        const bad = Buffer.from(body);
        bad[half] = bad[half]! ^ 0xff;
        res.writeHead(200, { ...headers, 'content-length': String(bad.length) }).end(bad);
        return;
      }
      case 'short':
        res.writeHead(200, { ...headers, 'content-length': String(body.length) });
        res.write(body.subarray(0, half), () => res.socket?.end());
        return;
      case 'drop':
        res.writeHead(200, { ...headers, 'content-length': String(body.length) });
        res.write(body.subarray(0, half), () => res.socket?.resetAndDestroy());
        return;
      case 'extra': {
        const more = Buffer.concat([body, Buffer.alloc(4096, 0x41)]);
        res.writeHead(200, { ...headers, 'content-length': String(more.length) }).end(more);
        return;
      }
      case 'overrun': {
        // Bypass the HTTP framing: the declared length, then junk on the same socket.
        const head = `HTTP/1.1 200 OK\r\n${Object.entries({ ...headers, 'content-length': String(body.length) })
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('')}\r\n`;
        // res.socket is null while an earlier response on this connection is unfinished (an
        // overrun bypasses the framing, so its response never finishes and a client that took
        // the declared length as the whole answer may already have sent its next request here).
        const socket = res.socket ?? res.req.socket;
        socket.write(Buffer.concat([Buffer.from(head, 'latin1'), body, Buffer.alloc(4096, 0x42)]), () => socket.end());
        return;
      }
      case 'truncate-json': {
        const cut = body.subarray(0, half);
        res.writeHead(200, { ...headers, 'content-length': String(cut.length) }).end(cut);
        return;
      }
      case 'other-manifest': {
        const o = other ?? Buffer.from('{"schemaVersion":2}');
        res.writeHead(200, { ...headers, 'content-length': String(o.length) }).end(o);
        return;
      }
    }
  };

  const notFound = (res: ServerResponse, code: string): void => {
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code, message: 'unknown' }] }));
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const entry: LyingRegistry['log'][number] = { method, path: url.pathname };
    log.push(entry);
    req.resume();
    if (url.pathname === '/v2/' || url.pathname === '/v2') {
      res.writeHead(200, { 'content-type': 'application/json', 'docker-distribution-api-version': 'registry/2.0' }).end('{}');
      return;
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (!m || (method !== 'GET' && method !== 'HEAD')) {
      res.writeHead(method === 'GET' || method === 'HEAD' ? 404 : 405).end();
      return;
    }
    const [, repo, kind, ref] = m as unknown as [string, string, string, string];
    if (!repos.has(repo)) return notFound(res, 'NAME_UNKNOWN');
    if (kind === 'blobs') {
      const body = blobs.get(ref);
      if (body === undefined) return notFound(res, 'BLOB_UNKNOWN');
      const headers = { 'content-type': 'application/octet-stream', 'docker-content-digest': ref };
      if (method === 'HEAD') {
        res.writeHead(200, { ...headers, 'content-length': String(body.length) }).end();
        return;
      }
      gets.set(ref, (gets.get(ref) ?? 0) + 1);
      const lie = takeLie(ref);
      if (lie !== undefined) entry.lie = lie;
      send(res, body, headers, lie);
      return;
    }
    const key = ref.startsWith('sha256:') ? ref : `${repo}:${ref}`;
    const digest = ref.startsWith('sha256:') ? ref : tags.get(key);
    const body = digest === undefined ? undefined : manifests.get(digest);
    if (digest === undefined || body === undefined) return notFound(res, 'MANIFEST_UNKNOWN');
    const headers = { 'content-type': OCI_MANIFEST, 'docker-content-digest': digest };
    if (method === 'HEAD') {
      res.writeHead(200, { ...headers, 'content-length': String(body.length) }).end();
      return;
    }
    gets.set(key, (gets.get(key) ?? 0) + 1);
    const lie = takeLie(key);
    if (lie !== undefined) entry.lie = lie;
    const other = [...manifests.entries()].find(([d]) => d !== digest)?.[1];
    send(res, body, headers, lie, other);
  };

  const server = createServer(handle);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    hostPort: `127.0.0.1:${port}`,
    log,
    addImage(repository, tag, config, layers) {
      repos.add(repository);
      const put = (b: Buffer, mediaType: string): BlobDesc => {
        const d = sha256(b);
        blobs.set(d, b);
        return { mediaType, digest: d, size: b.length };
      };
      const c = put(config, 'application/vnd.oci.image.config.v1+json');
      const ls = layers.map((l) => put(l, 'application/vnd.oci.image.layer.v1.tar'));
      const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: c, layers: ls }));
      const digest = sha256(manifest);
      manifests.set(digest, manifest);
      tags.set(`${repository}:${tag}`, digest);
      return { repository, tag, digest, manifest, config: c, layers: ls, blobs: [c, ...ls] };
    },
    lie(target, lie, times = Infinity) {
      lies.set(target, { lie, times });
    },
    pendingLies: () => [...lies.entries()].filter(([, l]) => l.times > 0).map(([target, l]) => ({ target, ...l })),
    gets: (k) => gets.get(k) ?? 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
