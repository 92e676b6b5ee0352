import type { TestContext } from 'node:test';
import type { RegistryClient } from './http-client.js';
import type { RegistryOps } from './registry-ops.js';

export type TestBody = (t: TestContext) => Promise<void>;

/** What each group of workflow specs gets from describeDistributionSpec. */
export interface SuiteContext {
  /** Registers one test with a stable id; known gaps of the target run as TODO. */
  spec(id: string, title: string, fn: TestBody): void;
  /** The client of the target (after setup). */
  http(): RegistryClient;
  ops(): RegistryOps;
  /** A repository name under this run's unique prefix. */
  repo(slug: string): string;
}
