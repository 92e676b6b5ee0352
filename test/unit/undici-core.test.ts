import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { Agent, request } from '../../src/util/undici-core.js';

describe('util/undici-core: undici without its index', () => {
  it('is the Agent class and the request() that undici exports', async () => {
    const undici = await import('undici');
    assert.equal(Agent, undici.Agent);
    // The index assigns api-request's function itself to Dispatcher.prototype.request.
    const viaIndex = (undici.Agent.prototype as unknown as { request: unknown }).request;
    assert.equal(typeof viaIndex, 'function');
    const { default: apiRequest } = await import('undici/lib/api/api-request.js');
    assert.equal(viaIndex, apiRequest);
  });

  it('request() talks HTTP/1.1 over a keep-alive pool to a loopback server', async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers['x-test'] ?? ''}`);
      res.setHeader('docker-content-digest', 'sha256:00');
      res.end(req.method === 'HEAD' ? undefined : 'hello');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const a = new Agent({ connections: 2 });
    try {
      const get = await request(a, { origin, path: '/v2/x?n=1', method: 'GET', headers: { 'x-test': 'y' } });
      assert.equal(get.statusCode, 200);
      assert.equal(get.headers['docker-content-digest'], 'sha256:00');
      assert.equal(await get.body.text(), 'hello');
      const head = await request(a, { origin, path: '/v2/', method: 'HEAD', reset: false });
      assert.equal(head.statusCode, 200);
      await head.body.dump();
      assert.deepEqual(seen, ['GET /v2/x?n=1 y', 'HEAD /v2/ ']);
    } finally {
      await a.close();
      await new Promise((r) => server.close(r));
    }
  });
});
