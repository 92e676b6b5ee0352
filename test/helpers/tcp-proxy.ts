/**
 * A TCP proxy on 127.0.0.1 to a loopback service that a test can cut (every
 * connection dropped, no new ones accepted) and reopen on the same port: the
 * service looks unreachable to whoever connects through it, then comes back.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './airlock-process.js';

export interface CuttableProxy {
  readonly port: number;
  open(): Promise<void>;
  cut(): Promise<void>;
}

/** Opens a proxy to `host`:`target` (default 127.0.0.1). */
export async function cuttableProxy(target: number, host = '127.0.0.1'): Promise<CuttableProxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const open = (): Promise<void> => new Promise((res) => {
    server = createServer((c) => {
      const up = connect(target, host);
      for (const s of [c, up]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => undefined);
      }
      c.pipe(up).pipe(c);
    }).listen(port, '127.0.0.1', () => res());
  });
  const cut = async (): Promise<void> => {
    if (!server?.listening) return;
    const closed = new Promise<void>((res) => server!.close(() => res()));
    for (const s of sockets) s.destroy();
    await closed;
  };
  await open();
  return { port, open, cut };
}
