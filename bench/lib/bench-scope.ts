/**
 * What one benchmark process owns and must release on every way out: the
 * servers it started, the child processes (by PID, see children.ts), its work
 * directory (unless kept) and its result directory when nothing was written
 * into it. SIGINT and SIGTERM run the same cleanup, then exit with 130.
 *
 * Contract: set `workDir` (and `resultDir`) before starting servers; call
 * `cleanup()` once at the end (it is idempotent and never throws).
 */
import { existsSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { stopAllChildren } from './children.js';
import type { Log } from './log.js';
import { startServer, type ServerHandle, type ServerKind, type StartOptions } from './servers.js';

export class BenchScope {
  workDir: string | undefined;
  resultDir = '';
  private readonly servers = new Set<ServerHandle>();
  private cleaning: Promise<void> | undefined;

  constructor(
    private readonly keep: boolean,
    private readonly log: Log,
  ) {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.once(sig, () => {
        this.log(`${sig}: stopping servers and removing ${this.workDir ?? 'temp files'}`);
        void this.cleanup().finally(() => process.exit(130));
      });
    }
  }

  /** The work directory; throws when it was not set yet. */
  get work(): string {
    if (this.workDir === undefined) throw new Error('the work directory is not set yet');
    return this.workDir;
  }

  /** Starts a server with a fresh directory under the work directory; stopped by cleanup() at the latest. */
  async startServer(kind: ServerKind, opts: Omit<StartOptions, 'parent'> = {}): Promise<ServerHandle> {
    const srv = await startServer(kind, { ...opts, parent: this.work });
    this.servers.add(srv);
    return srv;
  }

  /** Runs `fn` with a fresh server that is stopped (and its directory deleted) afterwards, whatever happens. */
  async withServer<T>(kind: ServerKind, opts: Omit<StartOptions, 'parent'>, fn: (srv: ServerHandle) => Promise<T>): Promise<T> {
    const srv = await this.startServer(kind, opts);
    try {
      return await fn(srv);
    } finally {
      await this.stopServer(srv);
    }
  }

  /** Stops a server now and deletes its directory. */
  async stopServer(srv: ServerHandle): Promise<void> {
    this.servers.delete(srv);
    await srv.stop();
  }

  cleanup(): Promise<void> {
    this.cleaning ??= (async () => {
      for (const s of this.servers) await s.stop().catch(() => undefined);
      this.servers.clear();
      await stopAllChildren();
      if (this.workDir !== undefined && !this.keep) await rm(this.workDir, { recursive: true, force: true }).catch(() => undefined);
      if (this.resultDir !== '' && existsSync(this.resultDir) && readdirSync(this.resultDir).length === 0) {
        await rm(this.resultDir, { recursive: true, force: true }).catch(() => undefined);
      }
    })();
    return this.cleaning;
  }
}
