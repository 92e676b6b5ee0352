/**
 * test/helpers/latency-proxy.ts: bytes arrive intact and in order in both
 * directions, streamed (a large body passes with the sender paused and
 * resumed), half-closes are passed on, and a measured round trip is at least
 * the configured RTT (only a lower bound is asserted: no upper-bound timing).
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { latencyProxy } from '../helpers/latency-proxy.js';

/** An echo server on 127.0.0.1 that ends its side when the client ends. */
async function echoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer({ allowHalfOpen: true }, (s) => s.pipe(s));
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  return { server, port: (server.address() as AddressInfo).port };
}

const open = (port: number): Promise<Socket> =>
  new Promise((res, rej) => {
    const s = connect({ port, host: '127.0.0.1', noDelay: true }, () => res(s));
    s.once('error', rej);
  });

/** Sends `data`, ends, and collects everything until the far end closes. */
function roundTrip(s: Socket, data: Buffer): Promise<Buffer> {
  return new Promise((res, rej) => {
    const got: Buffer[] = [];
    s.on('data', (c: Buffer) => got.push(c));
    s.on('end', () => res(Buffer.concat(got)));
    s.on('error', rej);
    s.end(data);
  });
}

describe('latency proxy', () => {
  const closers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of closers.reverse()) await c();
  });

  it('delays a round trip by at least the RTT, on a warm connection too', async () => {
    const echo = await echoServer();
    closers.push(() => new Promise((r) => echo.server.close(() => r())));
    const proxy = await latencyProxy(echo.port, { rttMs: 80 });
    closers.push(() => proxy.close());
    const s = await open(proxy.port);
    const once = (payload: string): Promise<number> =>
      new Promise((res) => {
        const t0 = performance.now();
        s.once('data', () => res(performance.now() - t0));
        s.write(payload);
      });
    const first = await once('a');
    // The first bytes also pay the modelled handshake, counted from the proxy's accept, which the
    // client's connect event may follow: only the RTT itself is a bound from here. (1 ms: timer clock granularity.)
    assert.ok(first >= 80 - 1, `first round trip ${first.toFixed(1)} ms < RTT`);
    const warm = await once('b');
    assert.ok(warm >= 80 - 1, `warm round trip ${warm.toFixed(1)} ms < RTT`);
    s.destroy();
    assert.equal(proxy.connections(), 1);
  });

  it('streams a large body intact and in order both ways, and passes the half-close on', async () => {
    const echo = await echoServer();
    closers.push(() => new Promise((r) => echo.server.close(() => r())));
    // A small high-water mark forces the pause/resume path.
    const proxy = await latencyProxy(echo.port, { rttMs: 10, highWater: 64 << 10 });
    closers.push(() => proxy.close());
    const data = randomBytes(8 << 20);
    const back = await roundTrip(await open(proxy.port), data);
    assert.equal(back.length, data.length);
    assert.equal(createHash('sha256').update(back).digest('hex'), createHash('sha256').update(data).digest('hex'));
  });

  it('refuses a non-loopback target', async () => {
    await assert.rejects(latencyProxy(80, { rttMs: 1, host: '192.0.2.1' }), /non-loopback/);
  });
});
