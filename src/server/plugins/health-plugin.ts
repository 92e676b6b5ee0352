/** /healthz (the process answers) and /readyz (503 while draining or below the free-space minimum). */
import type { FastifyPluginAsync } from 'fastify';
import type { StorageSpace } from '../storage-space.js';

export interface HealthPluginOptions {
  /** false while draining. */
  readonly isReady: () => boolean;
  readonly space?: StorageSpace | undefined;
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
    return rep.send('{"status":"ready"}');
  });
};
