/**
 * One RegistryClient (one keep-alive pool, one auth state) per registry host
 * for a whole run, so every image of a mirror shares connections and tokens.
 */
import type { RegistryRef } from '../../reference/image-name.js';
import { AuthStore } from './auth-file.js';
import { RegistryClient } from './registry-client.js';
import type { Scope } from './registry-auth.js';
import { RegistryDestination, RegistrySource } from './registry-image.js';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.js';

export interface RegistryHubOptions {
  readonly auth?: AuthStore;
  /** Hosts reached over plain http or unverified TLS (oc's --insecure). */
  readonly insecure?: (registry: string) => boolean;
  readonly caFile?: string;
  readonly retry?: RetryPolicy;
  readonly skipMultipleScopes?: boolean;
  /** Keep-alive connections per registry (at least the per-registry concurrency). */
  readonly connections?: number;
  readonly userAgent?: string;
  readonly headersTimeoutMs?: number;
  readonly bodyTimeoutMs?: number;
  /** Blob size above which uploads are chunked and resumable, and the chunk size. */
  readonly chunking?: { readonly threshold: number; readonly chunkSize: number };
}

export class RegistryHub {
  private readonly clients = new Map<string, RegistryClient>();

  constructor(private readonly opts: RegistryHubOptions = {}) {}

  client(registry: string): RegistryClient {
    let c = this.clients.get(registry);
    if (c === undefined) {
      c = new RegistryClient(registry, {
        insecure: this.opts.insecure?.(registry) ?? false,
        caFile: this.opts.caFile,
        auth: this.opts.auth ?? AuthStore.empty(),
        retry: this.opts.retry ?? DEFAULT_RETRY,
        skipMultipleScopes: this.opts.skipMultipleScopes ?? false,
        connections: this.opts.connections ?? 8,
        userAgent: this.opts.userAgent ?? 'airlock/0.1',
        headersTimeoutMs: this.opts.headersTimeoutMs ?? 120_000,
        bodyTimeoutMs: this.opts.bodyTimeoutMs ?? 120_000,
      }, this.opts.chunking);
      this.clients.set(registry, c);
    }
    return c;
  }

  source(ref: Pick<RegistryRef, 'registry' | 'repository'>): RegistrySource {
    return new RegistrySource(this.client(ref.registry), ref.repository);
  }

  destination(ref: Pick<RegistryRef, 'registry' | 'repository'>): RegistryDestination {
    return new RegistryDestination(this.client(ref.registry), ref.repository);
  }

  /** Scopes to bundle into this registry's token requests (see RegistryAuth). */
  declareScopes(registry: string, scopes: readonly Scope[]): void {
    this.client(registry).http.auth.declareScopes(scopes);
  }

  /** Sum of every client's counters. */
  totals(): { requests: number; retries: number; blobUploads: number; blobMounts: number; manifestPuts: number; bytesUploaded: number; tokenRequests: number } {
    const t = { requests: 0, retries: 0, blobUploads: 0, blobMounts: 0, manifestPuts: 0, bytesUploaded: 0, tokenRequests: 0 };
    for (const c of this.clients.values()) {
      t.requests += c.http.stats.requests;
      t.retries += c.http.stats.retries;
      t.blobUploads += c.counts.blobUploads;
      t.blobMounts += c.counts.blobMounts;
      t.manifestPuts += c.counts.manifestPuts;
      t.bytesUploaded += c.counts.bytesUploaded;
      t.tokenRequests += c.http.auth.tokenRequests;
    }
    return t;
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.close()));
    this.clients.clear();
  }
}
