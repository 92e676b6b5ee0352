/**
 * Black-box OCI Distribution v1.1 / Docker Registry V2 workflow suite.
 *
 * `describeDistributionSpec(target)` registers node:test suites that talk to
 * a registry only over HTTP or verified HTTPS (loopback; Docker token auth
 * when the target gives credentials). Every test has a stable id such as
 * `push.single-post-digest`; ids listed in `target.knownGaps` still run but
 * are reported as TODO, so the suite can prove itself against a peer
 * registry (docker-registry 2.8) that does not implement everything.
 *
 * Each run works under a fresh `conformance/<random>/…` repository prefix;
 * a target with sparse repositories makes `SPARSE_REPO_GLOB` sparse (see
 * specs-sparse.ts).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { RegistryClient, type ClientAuth } from './http-client.js';
import { RegistryOps } from './registry-ops.js';
import type { SuiteContext, TestBody } from './suite-context.js';
import { pullSpecs } from './specs-pull.js';
import { blobPushSpecs } from './specs-push-blobs.js';
import { manifestPushSpecs } from './specs-push-manifests.js';
import { discoverySpecs } from './specs-discovery.js';
import { managementSpecs } from './specs-management.js';
import { sparseSpecs } from './specs-sparse.js';

export * from './http-client.js';
export * from './registry-ops.js';
export { SPARSE_REPO_GLOB } from './specs-sparse.js';

export interface ConformanceTarget {
  name: string;
  /** e.g. http://127.0.0.1:PORT; read only after `setup()` has run. */
  url: string;
  /** Test ids that are expected to fail on this target (reported as TODO). */
  knownGaps?: ReadonlySet<string>;
  setup?: () => Promise<void>;
  teardown?: () => Promise<void>;
  /** TLS trust and credentials for the client; read only after `setup()` has run. */
  client?: ClientAuth;
}


// ---------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------

export function describeDistributionSpec(target: ConformanceTarget): void {
  const gaps = target.knownGaps ?? new Set<string>();
  const registered = new Set<string>();
  const prefix = `conformance/${randomBytes(5).toString('hex')}`;
  const repo = (slug: string): string => `${prefix}/${slug}`;

  let client: RegistryClient | undefined;
  const http = (): RegistryClient => {
    assert.ok(client, 'suite setup did not run');
    return client;
  };
  const ops = (): RegistryOps => new RegistryOps(http());

  /** Registers one test with a stable id; known gaps run as TODO. */
  function spec(id: string, title: string, fn: TestBody): void {
    assert.ok(!registered.has(id), `duplicate test id ${id}`);
    registered.add(id);
    const gap = gaps.has(id);
    const options = gap ? { todo: `known gap of ${target.name}`, timeout: 120_000 } : { timeout: 120_000 };
    it(`${id}: ${title}`, options, async (t) => {
      await fn(t);
      if (gap) t.diagnostic(`${id} passed although it is listed as a known gap of ${target.name}`);
    });
  }

  describe(`distribution-spec workflows against ${target.name}`, () => {
    before(async () => {
      if (target.setup) await target.setup();
      client = new RegistryClient(target.url, target.client);
    });
    after(async () => {
      try {
        if (client) await client.close();
      } finally {
        if (target.teardown) await target.teardown();
      }
    });

    // -----------------------------------------------------------------------
    const ctx: SuiteContext = { spec, http, ops, repo };
    pullSpecs(ctx);
    blobPushSpecs(ctx);
    manifestPushSpecs(ctx);
    discoverySpecs(ctx);
    managementSpecs(ctx);
    sparseSpecs(ctx);

    describe('suite', () => {
      it('suite.known-gaps-are-test-ids: every known gap names a test of this suite', () => {
        const unknown = [...gaps].filter((g) => !registered.has(g));
        assert.deepEqual(unknown, [], `known gaps of ${target.name} that match no test id`);
      });
    });
  });
}
