/**
 * The transport conformance suite (conformance.ts) against every transport
 * listed in src/transports/all.ts: a real airlock registry on loopback, an
 * OCI layout and oc's file:// store in temporary directories.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TRANSPORTS } from '../../src/transports/all.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import type { TransportEnv } from '../../src/transports/transport.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { transportConformance, type TransportUnderTest } from './conformance.js';

let reg: AirlockHandle;
let hub: RegistryHub;
let dir: string;
let n = 0;
const env = (): TransportEnv => ({ registries: hub, dir: join(dir, 'store'), fromDir: join(dir, 'store') });

before(async () => {
  reg = await startAirlock();
  hub = new RegistryHub({ insecure: () => true });
  dir = await mkdtemp(join(tmpdir(), 'airlock-transport-conformance-'));
});
after(async () => {
  await hub?.close();
  await reg?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const suites: TransportUnderTest[] = [
  { transport: 'docker', env, freshRepository: () => `${reg.hostPort}/conformance/repo-${++n}`, visibleBeforeCommit: true },
  { transport: 'oci', env, freshRepository: () => `oci:${join(dir, `layout-${++n}`)}`, visibleBeforeCommit: false },
  { transport: 'file', env, freshRepository: () => `file://conformance/repo-${++n}`, visibleBeforeCommit: true },
];

/**
 * Transports whose stores are written once and then only read, so the
 * suite's write / commit / write-again cycle on one environment does not
 * apply; each names the tests that hold it to the same contracts instead.
 */
const WRITE_ONCE: Record<string, string> = {
  archive: 'an archive set is written once by m2d and read by d2m: test/archive/*.test.ts, test/mirror/imageset-archive*.test.ts, test/transports/archive-reference.test.ts',
};

describe('every listed transport is under the conformance suite', () => {
  it('names exactly the transports of all.ts', () => {
    assert.deepEqual([...suites.map((s) => s.transport), ...Object.keys(WRITE_ONCE)].sort(), TRANSPORTS.map((t) => t.name).sort());
  });
});

for (const s of suites) transportConformance(s);
