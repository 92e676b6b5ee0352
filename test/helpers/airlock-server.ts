/**
 * Starts airlock's registry in-process on 127.0.0.1 with a random port and a
 * fresh temporary data directory (removed on close unless `keepDataDir`).
 * This is the one entry point tests use to get an airlock registry.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry, type RunningRegistry } from '../../src/server/start.js';
import type { RegistryConfigInput } from '../../src/config/registry-config.js';

export interface AirlockHandle {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** e.g. 127.0.0.1:41234 (for image references) */
  readonly hostPort: string;
  readonly dataDir: string;
  readonly registry: RunningRegistry;
  close(): Promise<void>;
}

export interface StartAirlockOptions {
  dataDir?: string;
  keepDataDir?: boolean;
  /** Extra configuration (storage, gc, limits…); listen/dataDir are set here. */
  config?: RegistryConfigInput;
}

export async function startAirlock(opts: StartAirlockOptions = {}): Promise<AirlockHandle> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'airlock-test-')));
  const registry = await startRegistry({
    logLevel: 'silent',
    ...opts.config,
    listen: '127.0.0.1:0',
    dataDir,
    insecureHttp: true,
  });
  const hostPort = `127.0.0.1:${registry.port}`;
  return {
    url: `http://${hostPort}`,
    hostPort,
    dataDir,
    registry,
    async close() {
      await registry.close();
      if (!opts.keepDataDir && !opts.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
