/** The address `robot add` prints: --public-url's host, else the listen address, a wildcard one as this host's FQDN. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostName, reachableAddress, readServeAddress, writeServeAddress } from '../../src/cli/serve-address.js';

describe('serve address', () => {
  it('prefers --public-url, then a specific listen address with the bound port', () => {
    assert.equal(reachableAddress('0.0.0.0:5000', 5000, 'https://mirror.example.test:8443'), 'mirror.example.test:8443');
    assert.equal(reachableAddress('0.0.0.0:5000', 5000, 'https://mirror.example.test/'), 'mirror.example.test');
    assert.equal(reachableAddress('127.0.0.1:0', 41234, undefined), '127.0.0.1:41234');
    assert.equal(reachableAddress('[::1]:5000', 5000, undefined), '[::1]:5000');
    assert.equal(reachableAddress('0.0.0.0:8443', 8443, undefined), `${hostName()}:8443`);
    assert.equal(reachableAddress('[::]:5000', 5000, undefined), `${hostName()}:5000`);
  });
  it('is recorded in the data directory and read back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-addr-'));
    try {
      assert.equal(readServeAddress(dir), undefined);
      writeServeAddress(dir, '127.0.0.1:41234');
      assert.equal(readServeAddress(dir), '127.0.0.1:41234');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
