import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { bootstrapAdmin, openAuthStore, setupAuth, type RegistryAuth } from '../auth/setup.js';
import { authEnabled, ConfigError, validateConfig, type RegistryConfig, type RegistryConfigInput } from '../config/registry-config.js';
import { openMetadataStore } from '../metadata/open-store.js';
import type { MetadataStore } from '../metadata/store.js';
import { GarbageCollector } from '../registry/gc.js';
import { GcHistory } from '../registry/gc-history.js';
import { importRunsDb } from '../metadata/sqlite/runs-db-import.js';
import { SessionStore } from '../auth/sessions.js';
import { StorageReport } from '../registry/storage-report.js';
import { RegistryService } from '../registry/registry-service.js';
import { BlobStore } from '../storage/blob-store.js';
import { createStorageDriver } from '../storage/create-driver.js';
import type { ManagedTls } from '../tls/managed-tls.js';
import { OpenAccess, type AccessPolicy } from './access.js';
import { buildApp } from './app.js';
import { RegistryMetrics } from './metrics.js';
import { StorageSpace } from './storage-space.js';
import { TrustedProxies } from '../util/client-address.js';

export interface RunningRegistry {
  readonly config: RegistryConfig;
  readonly port: number;
  readonly url: string;
  readonly app: FastifyInstance;
  readonly service: RegistryService;
  readonly gc: GarbageCollector;
  readonly meta: MetadataStore;
  /** Where metadata lives (the SQLite file, or the PostgreSQL URL without its password). */
  readonly metadataWhere: string;
  /** Where blob bytes live (the storage directory, or the S3 bucket, endpoint and prefix). */
  readonly storageWhere: string;
  /** TLS in use: `managed` when airlock generated it (CA in the data directory); undefined with plain HTTP. */
  readonly tls?: { readonly managed?: ManagedTls; readonly certFile?: string };
  /** Authentication in use (undefined when the registry is open). */
  readonly auth?: RegistryAuth;
  /** Re-reads the certificate and key (after `airlock cert renew` or a replaced --tls-cert) without dropping connections. */
  reloadTls(): Promise<void>;
  /** Stops accepting, drains in-flight requests (up to shutdownTimeoutSeconds), closes stores. */
  close(): Promise<void>;
}

/** Lifetime of the presigned URLs blob GETs redirect to (--storage-redirect). */
const BLOB_REDIRECT_SECONDS = 600;

export function parseListen(listen: string): { host: string; port: number } {
  const m = listen.match(/^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/);
  if (!m) throw new ConfigError(`invalid listen address "${listen}": expected HOST:PORT, [IPv6]:PORT or :PORT`);
  const port = Number(m[3]);
  if (port > 65535) throw new ConfigError(`invalid port in listen address "${listen}"`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

/** Data directory layout: storage/ holds blob bytes, metadata.db the SQLite metadata (and the run log); runs.db is the older run log, imported once into the store. */
export function dataPaths(dataDir: string): { storage: string; metadata: string; runs: string } {
  return { storage: join(dataDir, 'storage'), metadata: join(dataDir, 'metadata.db'), runs: join(dataDir, 'runs.db') };
}

/** The certificate to serve: --tls-cert/--tls-key when given, else the managed one in the data directory (created on first start). */
async function loadTls(config: RegistryConfig, dataDir: string): Promise<{ key: Buffer; cert: Buffer; managed?: ManagedTls; certFile?: string }> {
  if (config.tlsCert || config.tlsKey) {
    if (!config.tlsCert || !config.tlsKey) throw new ConfigError('--tls-cert and --tls-key go together');
    return { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey), certFile: config.tlsCert };
  }
  // The certificate code (@peculiar/x509, asn1) is loaded only when airlock manages TLS itself.
  const { ensureManagedTls } = await import('../tls/managed-tls.js');
  if (config.metadata !== undefined) {
    const { certificateNames } = await import('../tls/host-names.js');
    const { adoptSharedCa } = await import('../tls/shared-ca.js');
    // Replicas on one store serve certificates from one CA (tls/shared-ca.ts).
    const store = await openAuthStore(dataDir, config.metadata);
    try {
      await adoptSharedCa(dataDir, store, certificateNames(config.tlsSans)[0]!);
    } finally {
      await store.close();
    }
  }
  const managed = await ensureManagedTls(dataDir, { sans: config.tlsSans });
  return { cert: managed.cert, key: managed.key, managed };
}

export async function startRegistry(input: RegistryConfigInput, opts: { access?: AccessPolicy } = {}): Promise<RunningRegistry> {
  const config = validateConfig(input);
  const { host, port } = parseListen(config.listen);
  if (!config.insecureHttp && !config.tlsCert !== !config.tlsKey) throw new ConfigError('--tls-cert and --tls-key go together');
  const dataDir = resolve(config.dataDir);
  const paths = dataPaths(dataDir);
  mkdirSync(paths.storage, { recursive: true, mode: 0o700 });
  let tls: Awaited<ReturnType<typeof loadTls>> | undefined;
  try {
    if (!config.insecureHttp) tls = await loadTls(config, dataDir);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`TLS setup failed: ${(e as Error).message}`);
  }
  const https = tls ? { key: tls.key, cert: tls.cert } : undefined;
  let listenedPort = port;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  let auth: RegistryAuth | undefined;
  let log: { warn(obj: object, msg: string): void } = { warn: () => undefined };
  if (!opts.access && authEnabled(config)) {
    auth = await setupAuth(dataDir, {
      anonymousPull: config.auth.anonymousPull,
      tokenTtlSeconds: config.auth.tokenTtlSeconds,
      refreshTokenTtlSeconds: config.auth.refreshTokenTtlSeconds,
      loginFailureLimit: config.auth.loginFailureLimit,
      loginFailureWindowSeconds: config.auth.loginFailureWindowSeconds,
      loginUserFailureLimit: config.auth.loginUserFailureLimit,
      loginUserFailureWindowSeconds: config.auth.loginUserFailureWindowSeconds,
      challenge: {
        publicUrl: config.publicUrl,
        secure: !config.insecureHttp,
        service: config.auth.service,
        fallbackHost: () => `${shownHost}:${listenedPort}`,
      },
    }, config.metadata, { onError: (e) => log.warn({ err: { message: e.message } }, 'auth store connection lost') }).catch((e: Error) => {
      throw new ConfigError(e.message);
    });
  }
  if (config.storageRedirect && config.storage === undefined) throw new ConfigError('--storage-redirect needs --storage s3://… (the filesystem has no URL to redirect to)');
  const storage = await createStorageDriver(config.storage, paths.storage);
  try {
    await storage.driver.check();
  } catch (e) {
    throw new ConfigError(`blob storage: ${(e as Error).message}`);
  }
  const { store: meta, where: metadataWhere } = await openMetadataStore(config.metadata, paths.metadata, {
    onError: (e) => log.warn({ err: { message: e.message } }, 'metadata store connection lost'),
  }).catch((e: Error) => {
    throw new ConfigError(e.message);
  });
  const blobs = new BlobStore(storage.driver, { idleTimeoutMs: config.uploads.idleTimeoutSeconds * 1000, locks: meta.blobLocks });
  const service = new RegistryService(meta, blobs, {
    manifestMaxBytes: config.manifestMaxBytes,
    sparseRepos: config.sparseRepos,
    maxPageSize: config.maxPageSize,
    linkRenewMs: (config.gc.graceSeconds * 1000) / 2,
    ...(config.storageRedirect ? { blobRedirectSeconds: BLOB_REDIRECT_SECONDS } : {}),
    uploads: {
      maxOpenPerAccount: config.uploads.maxOpenPerAccount,
      maxOpenPerAddress: config.uploads.maxOpenPerAddress,
      sessionTtlMs: config.gc.uploadTtlSeconds * 1000,
    },
  });
  const space = new StorageSpace(dataDir, config.minFreeSpace, { warn: (o, m) => log.warn(o, m) });
  const metrics = new RegistryMetrics(meta, space);
  const gcHistory = new GcHistory(20, meta.runLog);
  const gc = new GarbageCollector(
    meta,
    blobs,
    { graceMs: config.gc.graceSeconds * 1000, uploadTtlMs: config.gc.uploadTtlSeconds * 1000, deleteUntagged: config.gc.deleteUntagged },
    async (r) => {
      metrics.gcRuns.inc();
      metrics.gcBlobs.inc(typeof r.blobs === 'number' ? r.blobs : r.blobs.length);
      metrics.gcManifests.inc(typeof r.manifests === 'number' ? r.manifests : r.manifests.length);
      metrics.gcBytes.inc(r.bytes);
      // The history is for the console; a full disk must not fail the collection that frees it.
      await gcHistory.record(r).catch((e: unknown) => app.log.warn({ err: e }, 'could not record the GC run in the run log'));
      const { strayFiles, relinkedFiles, missingFiles, warning } = r.reconcile;
      if (strayFiles.length + relinkedFiles.length + missingFiles.length > 0 || warning) {
        app.log.warn({ reconcile: r.reconcile }, 'blob storage reconciled with the metadata');
      }
    },
  );
  let ready = true;
  const app = buildApp({
    service,
    access: opts.access ?? auth?.access ?? new OpenAccess(),
    ...(auth ? { tokenEndpoint: auth.endpoint, audit: auth.audit } : {}),
    metrics,
    isReady: () => ready,
    space,
    storageCheck: () => storage.driver.check(),
    metadataCheck: () => meta.ping(),
    logger: { level: config.logLevel, base: { service: 'airlock' } },
    https,
    trustedProxies: new TrustedProxies(config.trustedProxies),
    api: {
      storage: new StorageReport(meta, gc, gcHistory),
      accounts: auth?.store,
      ...(auth ? { sessions: { store: new SessionStore(auth.store, config.auth.consoleIdleSeconds * 1000), authn: auth.authn } } : {}),
      registryHost: () => `${shownHost}:${listenedPort}`,
      runs: meta.runLog,
    },
  });
  auth?.audit.attach(app.log.child({ component: 'audit' }));
  log = app.log.child({ component: 'storage' });
  try {
    // The run log of an older airlock (its own runs.db) joins the store's, once.
    const imported = await importRunsDb(paths.runs, meta.runLog).catch((e: Error) => {
      throw new ConfigError(e.message);
    });
    if (imported) app.log.info({ ...imported, file: `${paths.runs}.imported` }, 'the run log of runs.db is now in the metadata store');
    await app.listen({ host, port });
  } catch (e) {
    await meta.close();
    await auth?.close();
    throw e;
  }
  const addr = app.server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  listenedPort = actualPort;
  if (auth) {
    const adminPassword = await bootstrapAdmin(auth.store);
    if (adminPassword !== undefined) auth = { ...auth, adminPassword };
  }
  space.start(10_000);
  if (config.gc.enabled) gc.start(config.gc.intervalSeconds * 1000, (e) => app.log.error({ err: e }, 'garbage collection failed'));

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      ready = false;
      space.stop();
      await gc.stop();
      const force = setTimeout(() => app.server.closeAllConnections(), config.shutdownTimeoutSeconds * 1000);
      force.unref();
      await app.close();
      clearTimeout(force);
      await meta.close();
      await auth?.close();
    })());

  const reloadTls = async (): Promise<void> => {
    if (!tls) return;
    const next = await loadTls(config, dataDir);
    (app.server as import('node:https').Server).setSecureContext({ key: next.key, cert: next.cert });
    tls = next;
    app.log.info({ certificate: next.certFile ?? next.managed?.paths.serverCert }, 'TLS certificate reloaded');
  };

  return {
    config,
    port: actualPort,
    url: `${https ? 'https' : 'http'}://${shownHost}:${actualPort}`,
    app,
    service,
    gc,
    meta,
    storageWhere: storage.where,
    metadataWhere,
    ...(tls ? { tls: { ...(tls.managed ? { managed: tls.managed } : {}), ...(tls.certFile ? { certFile: tls.certFile } : {}) } } : {}),
    ...(auth ? { auth } : {}),
    reloadTls,
    close,
  };
}
