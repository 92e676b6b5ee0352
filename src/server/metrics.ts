import { Counter, Gauge, Registry } from 'prom-client';
import type { MetadataStore } from '../metadata/store.js';
import type { StorageSpace } from './storage-space.js';

/** Prometheus metrics of one registry instance (its own prom-client Registry, no globals). */
export class RegistryMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'airlock_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly bytesIn = new Counter({ name: 'airlock_http_received_bytes_total', help: 'Request body bytes received', registers: [this.registry] });
  readonly bytesOut = new Counter({ name: 'airlock_http_sent_bytes_total', help: 'Response body bytes sent', registers: [this.registry] });
  readonly gcRuns = new Counter({ name: 'airlock_gc_runs_total', help: 'Garbage-collection runs', registers: [this.registry] });
  readonly gcBlobs = new Counter({ name: 'airlock_gc_deleted_blobs_total', help: 'Blobs deleted by the garbage collector', registers: [this.registry] });
  readonly gcBytes = new Counter({ name: 'airlock_gc_reclaimed_bytes_total', help: 'Bytes reclaimed by the garbage collector', registers: [this.registry] });
  readonly gcManifests = new Counter({ name: 'airlock_gc_deleted_manifests_total', help: 'Manifests deleted by the garbage collector', registers: [this.registry] });

  readonly storageFullRefusals = new Counter({
    name: 'airlock_storage_full_refusals_total',
    help: 'Writes refused with 503 because storage or the metadata database was full',
    registers: [this.registry],
  });

  constructor(meta: MetadataStore, space?: StorageSpace) {
    if (space) {
      new Gauge({
        name: 'airlock_storage_free_bytes', help: 'Bytes available on the data directory\'s filesystem', registers: [this.registry],
        async collect() {
          const free = await space.freeBytes().catch(() => undefined);
          if (free !== undefined) this.set(free);
        },
      });
    }
    let cached: { at: number; count: number; bytes: number; repos: number } | undefined;
    const stats = async () => {
      if (!cached || Date.now() - cached.at > 1000) {
        const b = await meta.blobStats();
        cached = { at: Date.now(), count: b.count, bytes: b.bytes, repos: await meta.repositoryCount() };
      }
      return cached;
    };
    new Gauge({
      name: 'airlock_blobs', help: 'Blobs stored', registers: [this.registry],
      async collect() { this.set((await stats()).count); },
    });
    new Gauge({
      name: 'airlock_blob_bytes', help: 'Bytes of blobs stored', registers: [this.registry],
      async collect() { this.set((await stats()).bytes); },
    });
    new Gauge({
      name: 'airlock_repositories', help: 'Repositories', registers: [this.registry],
      async collect() { this.set((await stats()).repos); },
    });
  }
}
