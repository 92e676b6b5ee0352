/**
 * A TCP proxy on 127.0.0.1 that puts a wide-area link between a client and a
 * loopback service (the kernel's netem is not available here): every chunk,
 * in each direction, is delivered RTT/2 after it arrived, in order, as a
 * stream (nothing waits for a whole request or response). A new connection
 * pays the TCP handshake too: what the client sends first reaches the service
 * no sooner than one full RTT after the connection was accepted, plus RTT/2.
 *
 * Memory stays bounded: a direction whose queue holds more than `highWater`
 * bytes (or whose receiver stops reading) pauses its sender until it drains.
 * Half-closes are passed on after the same delay; an error on either side
 * destroys both. Used by bench:mirror's WAN phase and by tests.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface LatencyProxyOptions {
  /** Round-trip time added, in milliseconds (each direction gets half). */
  readonly rttMs: number;
  /** Target host (loopback only); default 127.0.0.1. */
  readonly host?: string;
  /** Bytes queued per direction before the sender is paused; default 64 MiB. */
  readonly highWater?: number;
  /** Model the TCP handshake (one extra RTT before a connection's first bytes reach the service); default true. */
  readonly handshake?: boolean;
}

export interface LatencyProxy {
  readonly port: number;
  /** `127.0.0.1:PORT` */
  readonly hostPort: string;
  /** Connections accepted so far. */
  readonly connections: () => number;
  close(): Promise<void>;
}

type Item = { due: number; chunk: Buffer | null };

/** Forwards `from` to `to`, each chunk `delayMs` later than it arrived; `notBefore` delays the first delivery. */
function delayedPipe(from: Socket, to: Socket, delayMs: number, notBefore: number, highWater: number): void {
  const queue: Item[] = [];
  let queued = 0;
  let timer: NodeJS.Timeout | undefined;
  let blocked = false;
  const pauseIfFull = (): void => {
    if (queued > highWater || blocked) from.pause();
  };
  const resumeIfRoom = (): void => {
    if (queued <= highWater && !blocked && !from.destroyed) from.resume();
  };
  const flush = (): void => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && queue[0]!.due <= now) {
      const { chunk } = queue.shift()!;
      if (to.destroyed) return;
      if (chunk === null) {
        to.end();
        continue;
      }
      queued -= chunk.length;
      if (!to.write(chunk)) {
        blocked = true;
        to.once('drain', () => {
          blocked = false;
          resumeIfRoom();
        });
      }
    }
    resumeIfRoom();
    schedule();
  };
  const schedule = (): void => {
    if (timer !== undefined || queue.length === 0) return;
    timer = setTimeout(flush, Math.max(0, queue[0]!.due - performance.now()));
  };
  const push = (chunk: Buffer | null): void => {
    queue.push({ due: Math.max(performance.now() + delayMs, notBefore), chunk });
    if (chunk !== null) queued += chunk.length;
    pauseIfFull();
    schedule();
  };
  from.on('data', (c: Buffer) => push(c));
  from.on('end', () => push(null));
  from.on('close', () => {
    // An abrupt close (error, reset) is passed on as one too, after the delay.
    if (from.readableEnded) return;
    setTimeout(() => to.destroy(), delayMs).unref();
  });
}

/** Starts a latency proxy to `targetPort` on `host` (127.0.0.1). */
export async function latencyProxy(targetPort: number, opts: LatencyProxyOptions): Promise<LatencyProxy> {
  const host = opts.host ?? '127.0.0.1';
  if (!['127.0.0.1', 'localhost', '::1'].includes(host)) throw new Error(`latency proxy: refusing non-loopback target ${host}`);
  const half = opts.rttMs / 2;
  const highWater = opts.highWater ?? 64 << 20;
  const handshake = opts.handshake ?? true;
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    accepted++;
    const t0 = performance.now();
    const up = connect({ port: targetPort, host, allowHalfOpen: true, noDelay: true });
    for (const s of [client, up]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        up.destroy();
      });
    }
    delayedPipe(client, up, half, handshake ? t0 + opts.rttMs + half : 0, highWater);
    delayedPipe(up, client, half, 0, highWater);
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => res());
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('latency proxy: no port');
  return {
    port: addr.port,
    hostPort: `127.0.0.1:${addr.port}`,
    connections: () => accepted,
    close: async () => {
      const closed = new Promise<void>((res) => server.close(() => res()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
