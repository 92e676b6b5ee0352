/**
 * /healthz (the process answers) and /readyz: 503 while draining, below the
 * free-space minimum, or when the blob storage does not answer its check
 * (an S3 HeadBucket, bounded by a timeout), or when the metadata store does
 * not answer a query (PostgreSQL), so a load balancer takes a replica cut off
 * from the object store or the database out of rotation.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { StorageSpace } from '../storage-space.js';

export interface HealthPluginOptions {
  /** false while draining. */
  readonly isReady: () => boolean;
  readonly space?: StorageSpace | undefined;
  /** The blob storage's own check (StorageDriver.check); rejects when it is unreachable. */
  readonly storageCheck?: (() => Promise<void>) | undefined;
  /** The metadata store's check (MetadataStore.ping); rejects when PostgreSQL is unreachable. */
  readonly metadataCheck?: (() => Promise<void>) | undefined;
}

const STORAGE_CHECK_TIMEOUT_MS = 3000;

async function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  try {
    await Promise.race([p, new Promise<never>((_res, rej) => (t = setTimeout(() => rej(new Error(`no answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(t);
  }
}

export const healthPlugin: FastifyPluginAsync<HealthPluginOptions> = async (app, o) => {
  app.get('/healthz', async (_req, rep) => rep.header('content-type', 'application/json').send('{"status":"ok"}'));
  app.get('/readyz', async (req, rep) => {
    if (!o.isReady()) return rep.code(503).send('{"status":"draining"}');
    rep.header('content-type', 'application/json');
    if (o.space) {
      let body: object | undefined;
      try {
        const s = await o.space.check();
        if (!s.ok) body = { status: 'storage full', freeBytes: s.freeBytes, minFreeBytes: s.minFreeBytes };
      } catch (e) {
        req.log.error({ err: e }, 'cannot read the free space of the data directory');
        body = { status: 'storage unavailable' };
      }
      if (body) return rep.code(503).send(JSON.stringify(body));
    }
    if (o.storageCheck) {
      try {
        await withTimeout(o.storageCheck(), STORAGE_CHECK_TIMEOUT_MS);
      } catch (e) {
        req.log.warn({ err: { message: (e as Error).message } }, 'blob storage check failed');
        return rep.code(503).send('{"status":"blob storage unavailable"}');
      }
    }
    if (o.metadataCheck) {
      try {
        await withTimeout(o.metadataCheck(), STORAGE_CHECK_TIMEOUT_MS);
      } catch (e) {
        req.log.warn({ err: { message: (e as Error).message } }, 'metadata store check failed');
        return rep.code(503).send('{"status":"metadata store unavailable"}');
      }
    }
    return rep.send('{"status":"ready"}');
  });
};
