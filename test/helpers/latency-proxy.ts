/**
 * A TCP proxy on 127.0.0.1 that puts a wide-area link between a client and a
 * loopback service (the kernel's netem is not available here): every chunk,
 * in each direction, is delivered RTT/2 after it arrived, in order, as a
 * stream (nothing waits for a whole request or response). A new connection
 * pays the TCP handshake too: what the client sends first reaches the service
 * no sooner than one full RTT after the connection was accepted, plus RTT/2.
 *
 * Memory stays bounded: a direction with more than `highWater` bytes in
 * flight (queued here, or written and not yet taken by the receiver) pauses
 * its sender until it drains. That is the link's window: a connection moves
 * at most `highWater` bytes per RTT/2, like TCP with a window of that size
 * (default 16 MiB: the link adds latency, not a bandwidth limit).
 * Half-closes are passed on after the same delay; an error on either side
 * destroys both. Used by bench:mirror's WAN phase and by tests.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface LatencyProxyOptions {
  /** Round-trip time added, in milliseconds (each direction gets half). */
  readonly rttMs: number;
  /** Target host (loopback only); default 127.0.0.1. */
  readonly host?: string;
  /** Bytes in flight per direction before the sender is paused (the window); default 16 MiB. */
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
  // In flight = still queued here + written but not yet taken by the receiver's socket.
  const inFlight = (): number => queued + to.writableLength;
  const resumeIfRoom = (): void => {
    if (inFlight() <= highWater && from.isPaused() && !from.destroyed) from.resume();
  };
  to.on('drain', resumeIfRoom);
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
      to.write(chunk);
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
    // The window: more than highWater bytes in flight pauses the sender (TCP would stop sending too).
    if (inFlight() > highWater) from.pause();
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
  const highWater = opts.highWater ?? 16 << 20;
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
