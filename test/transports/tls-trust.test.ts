/**
 * transports/registry/tls-trust.ts against a real TLS registry (airlock
 * serve with its generated CA on loopback): the CA list is parsed into one
 * TLS context at the first connection and reused by every connection and
 * every client with the same trust, and verification is still on.
 */
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { after, before, describe, it, mock } from 'node:test';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { secureContextFor, trustedCas } from '../../src/transports/registry/tls-trust.js';

describe('registry TLS trust: one context per CA set', () => {
  let reg: AirlockHandle;
  before(async () => {
    reg = await startAirlock({ tls: true });
  });
  after(async () => reg?.close());

  it('secureContextFor: the same context for the same CAs, another for other CAs', () => {
    const ca = trustedCas(reg.caCertPath, reg.hostPort)!;
    assert.ok(ca.length > tls.rootCertificates.length, 'Node roots + the given CA (+ the system bundle)');
    assert.equal(secureContextFor(ca), secureContextFor([...ca]));
    assert.notEqual(secureContextFor(ca), secureContextFor(ca.slice(1)));
  });

  it('40 requests over 8 connections, from two clients: at most one context made, every request verified', async () => {
    const made = mock.method(tls, 'createSecureContext');
    const hubs = [1, 2].map(() => new RegistryHub({ caFile: reg.caCertPath, connections: 8 }));
    try {
      const answers = await Promise.all(Array.from({ length: 40 }, (_, i) =>
        hubs[i % 2]!.client(reg.hostPort).manifestHead('none/such', `t${i}`)));
      assert.deepEqual(new Set(answers), new Set([undefined]), 'each HEAD reached the registry over TLS (404: absent)');
      // The first test may already have built it: 0 or 1 here, never one per connection.
      assert.ok(made.mock.callCount() <= 1, `${made.mock.callCount()} TLS contexts`);
    } finally {
      made.mock.restore();
      await Promise.all(hubs.map((h) => h.close()));
    }
  });

  it('insecure: one shared context with no trust anchors (the root store is not parsed), and the unverified registry answers', async () => {
    const made = mock.method(tls, 'createSecureContext');
    const hubs = [1, 2].map(() => new RegistryHub({ insecure: () => true, connections: 4 }));
    try {
      const answers = await Promise.all(Array.from({ length: 16 }, (_, i) =>
        hubs[i % 2]!.client(reg.hostPort).manifestHead('none/such', `i${i}`)));
      assert.deepEqual(new Set(answers), new Set([undefined]), 'each HEAD reached the registry over unverified TLS (404: absent)');
      assert.ok(made.mock.callCount() <= 1, `${made.mock.callCount()} TLS contexts`);
      for (const c of made.mock.calls) assert.deepEqual((c.arguments[0] as { ca?: unknown }).ca, [], 'no CA list: nothing to parse');
    } finally {
      made.mock.restore();
      await Promise.all(hubs.map((h) => h.close()));
    }
  });

  it('verification stays on: without the CA the registry is refused', async () => {
    const hub = new RegistryHub({});
    try {
      await assert.rejects(hub.client(reg.hostPort).manifestHead('none/such', 'x'), /certificate|self.signed|unable to verify/i);
    } finally {
      await hub.close();
    }
  });
});
