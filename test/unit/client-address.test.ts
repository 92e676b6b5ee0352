import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isValidCidr, TrustedProxies } from '../../src/util/client-address.js';

describe('client address behind trusted proxies', () => {
  const t = new TrustedProxies(['10.0.0.0/8', '192.168.1.5', 'fd00::/8']);

  it('parses addresses and CIDRs, refuses the rest', () => {
    for (const ok of ['10.0.0.0/8', '127.0.0.1', '::1', 'fd00::/8', '0.0.0.0/0']) assert.equal(isValidCidr(ok), true, ok);
    for (const bad of ['10.0.0.0/33', 'example.com', '10.0.0/8', '', '::1/129', '1.2.3.4/ 8']) assert.equal(isValidCidr(bad), false, bad);
    assert.throws(() => new TrustedProxies(['nope']), /invalid trusted proxy "nope"/);
  });

  it('an untrusted peer is the client, whatever X-Forwarded-For says', () => {
    assert.equal(t.clientOf('203.0.113.7', '198.51.100.1'), '203.0.113.7');
    assert.equal(t.clientOf('203.0.113.7', undefined), '203.0.113.7');
    assert.equal(new TrustedProxies([]).clientOf('10.1.1.1', '198.51.100.1'), '10.1.1.1');
  });

  it('a trusted peer: the rightmost untrusted entry, so what a client prepends is never reached', () => {
    assert.equal(t.clientOf('10.0.0.2', '198.51.100.1'), '198.51.100.1');
    assert.equal(t.clientOf('10.0.0.2', 'forged-1.2.3.4, 6.6.6.6, 198.51.100.1'), '198.51.100.1');
    assert.equal(t.clientOf('10.0.0.2', ['6.6.6.6', '198.51.100.1, 192.168.1.5']), '198.51.100.1', 'repeated headers, two trusted hops');
    assert.equal(t.clientOf('::ffff:10.0.0.2', '2001:db8::1'), '2001:db8::1', 'IPv4-mapped peer');
    assert.equal(t.clientOf('fd00::1', '198.51.100.9'), '198.51.100.9');
  });

  it('a malformed entry stops at the last trusted hop; no header leaves the peer', () => {
    assert.equal(t.clientOf('10.0.0.2', '198.51.100.1, not-an-ip'), '10.0.0.2');
    assert.equal(t.clientOf('10.0.0.2', '198.51.100.1:4444'), '10.0.0.2');
    assert.equal(t.clientOf('10.0.0.2', undefined), '10.0.0.2');
    assert.equal(t.clientOf('10.0.0.2', ''), '10.0.0.2');
  });
});
