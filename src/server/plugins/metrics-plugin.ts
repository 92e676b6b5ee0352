/** Prometheus text at /metrics (server/metrics.ts holds the counters). */
import type { FastifyPluginAsync } from 'fastify';
import type { RegistryMetrics } from '../metrics.js';

export interface MetricsPluginOptions {
  readonly metrics: RegistryMetrics;
}

export const metricsPlugin: FastifyPluginAsync<MetricsPluginOptions> = async (app, o) => {
  app.get('/metrics', async (_req, rep) => {
    const text = await o.metrics.registry.metrics();
    return rep.header('content-type', o.metrics.registry.contentType).send(text);
  });
};
