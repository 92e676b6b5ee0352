import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ConfigError, validateConfig, type RegistryConfig, type RegistryConfigInput } from '../config/registry-config.js';
import { SqliteMetadataStore } from '../metadata/sqlite/sqlite-store.js';
import type { MetadataStore } from '../metadata/store.js';
import { GarbageCollector } from '../registry/gc.js';
import { RegistryService } from '../registry/registry-service.js';
import { BlobStore } from '../storage/blob-store.js';
import { FilesystemDriver } from '../storage/fs-driver.js';
import { OpenAccess, type AccessPolicy } from './access.js';
import { buildApp } from './app.js';
import { RegistryMetrics } from './metrics.js';

export interface RunningRegistry {
  readonly config: RegistryConfig;
  readonly port: number;
  readonly url: string;
  readonly app: FastifyInstance;
  readonly service: RegistryService;
  readonly gc: GarbageCollector;
  readonly meta: MetadataStore;
  /** Stops accepting, drains in-flight requests (up to shutdownTimeoutSeconds), closes stores. */
  close(): Promise<void>;
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = listen.match(/^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/);
  if (!m) throw new ConfigError(`invalid listen address "${listen}": expected HOST:PORT, [IPv6]:PORT or :PORT`);
  const port = Number(m[3]);
  if (port > 65535) throw new ConfigError(`invalid port in listen address "${listen}"`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

/** Data directory layout: storage/ holds blob bytes, metadata.db the SQLite metadata. */
export function dataPaths(dataDir: string): { storage: string; metadata: string } {
  return { storage: join(dataDir, 'storage'), metadata: join(dataDir, 'metadata.db') };
}

export async function startRegistry(input: RegistryConfigInput, opts: { access?: AccessPolicy } = {}): Promise<RunningRegistry> {
  const config = validateConfig(input);
  const { host, port } = parseListen(config.listen);
  let https: { key: Buffer; cert: Buffer } | undefined;
  if (!config.insecureHttp) {
    if (!config.tlsCert || !config.tlsKey) {
      throw new ConfigError('TLS needs a certificate and key: pass --tls-cert and --tls-key, or --insecure-http to serve plain HTTP');
    }
    https = { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) };
  }
  const dataDir = resolve(config.dataDir);
  const paths = dataPaths(dataDir);
  mkdirSync(paths.storage, { recursive: true, mode: 0o700 });
  const meta = new SqliteMetadataStore(paths.metadata);
  const blobs = new BlobStore(new FilesystemDriver(paths.storage));
  const service = new RegistryService(meta, blobs, {
    manifestMaxBytes: config.manifestMaxBytes,
    sparseIndexRepos: config.sparseIndexRepos,
    maxPageSize: config.maxPageSize,
  });
  const metrics = new RegistryMetrics(meta);
  const gc = new GarbageCollector(
    meta,
    blobs,
    { graceMs: config.gc.graceSeconds * 1000, uploadTtlMs: config.gc.uploadTtlSeconds * 1000, deleteUntagged: config.gc.deleteUntagged },
    (r) => {
      metrics.gcRuns.inc();
      metrics.gcBlobs.inc(typeof r.blobs === 'number' ? r.blobs : r.blobs.length);
      metrics.gcManifests.inc(typeof r.manifests === 'number' ? r.manifests : r.manifests.length);
      metrics.gcBytes.inc(r.bytes);
    },
  );
  let ready = true;
  const app = buildApp({
    service,
    access: opts.access ?? new OpenAccess(),
    metrics,
    isReady: () => ready,
    logger: { level: config.logLevel, base: { service: 'airlock' } },
    https,
  });
  try {
    await app.listen({ host, port });
  } catch (e) {
    await meta.close();
    throw e;
  }
  const addr = app.server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  if (config.gc.enabled) gc.start(config.gc.intervalSeconds * 1000, (e) => app.log.error({ err: e }, 'garbage collection failed'));
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      ready = false;
      await gc.stop();
      const force = setTimeout(() => app.server.closeAllConnections(), config.shutdownTimeoutSeconds * 1000);
      force.unref();
      await app.close();
      clearTimeout(force);
      await meta.close();
    })());

  return {
    config,
    port: actualPort,
    url: `${https ? 'https' : 'http'}://${shownHost}:${actualPort}`,
    app,
    service,
    gc,
    meta,
    close,
  };
}
