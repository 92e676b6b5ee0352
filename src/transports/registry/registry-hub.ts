/**
 * One RegistryClient (one keep-alive pool, one auth state) per registry host
 * for a whole run, so every image of a mirror shares connections and tokens.
 *
 * TLS settings may differ by role (oc's --insecure for both sides, skopeo's
 * --src-tls-verify / --dest-tls-verify for one): a host gets one client per
 * distinct setting, so a host that is both source and destination with the
 * same setting still shares one pool and one token cache.
 */
import type { RegistryRef } from '../../reference/image-name.js';
import { AuthStore } from './auth-file.js';
import { RegistryClient } from './registry-client.js';
import type { Scope } from './registry-auth.js';
import type { RetryNotice } from './registry-http.js';
import { RegistryDestination, RegistrySource } from './registry-image.js';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.js';

/** Which side of a copy a registry is reached as. */
export type RegistryRole = 'source' | 'destination';

/** Default --request-timeout: the longest silence from a registry (headers, or between body bytes). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;

export interface RegistryHubOptions {
  readonly auth?: AuthStore;
  /** Hosts reached over plain http or unverified TLS, per role (oc's --insecure; --src-insecure, --dest-insecure). */
  readonly insecure?: (registry: string, role: RegistryRole) => boolean;
  /** The flag that would allow insecure access for a role (named in connection errors). */
  readonly insecureHint?: (role: RegistryRole) => string;
  readonly caFile?: string;
  readonly retry?: RetryPolicy;
  readonly skipMultipleScopes?: boolean;
  /** Keep-alive connections per registry (at least the per-registry concurrency). */
  readonly connections?: number;
  readonly userAgent?: string;
  /** Longest silence before a request is abandoned (and retried): sets both timeouts below. */
  readonly requestTimeoutMs?: number;
  readonly headersTimeoutMs?: number;
  readonly bodyTimeoutMs?: number;
  /** Blob size above which uploads are chunked and resumable, and the chunk size. */
  readonly chunking?: { readonly threshold: number; readonly chunkSize: number };
  /** Told about every request retry (the copy engine reports its own blob retries). */
  readonly onRetry?: (r: RetryNotice) => void;
  /** Told about problems worth a warning line (credentials left to a credential helper that gave none). */
  readonly onWarning?: (message: string) => void;
}

export class RegistryHub {
  private readonly clients = new Map<string, RegistryClient>();

  constructor(private readonly opts: RegistryHubOptions = {}) {}

  /** The client for `registry` reached as `role` (default: source). */
  client(registry: string, role: RegistryRole = 'source'): RegistryClient {
    const insecure = this.opts.insecure?.(registry, role) ?? false;
    const key = `${registry}\u0000${insecure ? 'insecure' : 'verified'}`;
    let c = this.clients.get(key);
    if (c === undefined) {
      const timeout = this.opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
      c = new RegistryClient(registry, {
        insecure,
        insecureHint: this.opts.insecureHint?.(role),
        caFile: this.opts.caFile,
        auth: this.opts.auth ?? AuthStore.empty(),
        retry: this.opts.retry ?? DEFAULT_RETRY,
        skipMultipleScopes: this.opts.skipMultipleScopes ?? false,
        connections: this.opts.connections ?? 32,
        userAgent: this.opts.userAgent ?? 'airlock/0.1',
        headersTimeoutMs: this.opts.headersTimeoutMs ?? timeout,
        bodyTimeoutMs: this.opts.bodyTimeoutMs ?? timeout,
        onRetry: this.opts.onRetry,
        onWarning: this.opts.onWarning,
      }, this.opts.chunking);
      this.clients.set(key, c);
    }
    return c;
  }

  source(ref: Pick<RegistryRef, 'registry' | 'repository'>): RegistrySource {
    return new RegistrySource(this.client(ref.registry, 'source'), ref.repository);
  }

  destination(ref: Pick<RegistryRef, 'registry' | 'repository'>): RegistryDestination {
    return new RegistryDestination(this.client(ref.registry, 'destination'), ref.repository);
  }

  /**
   * Scopes to bundle into this registry's token requests (see RegistryAuth),
   * on the client used as `role` (default destination: pushes and mounts).
   */
  declareScopes(registry: string, scopes: readonly Scope[], role: RegistryRole = 'destination'): void {
    this.client(registry, role).http.auth.declareScopes(scopes);
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
