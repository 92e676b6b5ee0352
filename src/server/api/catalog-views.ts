/**
 * The console's catalog view (GET /api/v1/repositories/NAME/catalog/REF):
 * the packages, channels, heads and default channels of an operator
 * catalog image this registry holds. The image is read through
 * registryImageSource (the blobs a pull of NAME may read), its catalog path
 * extracted by catalog/index-image.ts (layers streamed, size and file caps),
 * and parsed and summarized by the one catalog parser in a child process
 * with a heap limit and a deadline (catalog/summary-job.ts). Results are
 * cached per repository and manifest digest (content-addressed: never
 * stale); at most one catalog is read at a time, a few more wait, the rest
 * get 503. Every failure is a RegistryError with one line.
 */
import { CatalogError } from '../../catalog/errors.js';
import type { PackageSummary } from '../../catalog/summary.js';
import { summarizeInWorker } from '../../catalog/summary-job.js';
import { RegistryError } from '../../registry/errors.js';
import type { RegistryService } from '../../registry/registry-service.js';
import { assertName } from '../../registry/validate.js';
import { registryImageSource } from './registry-image-source.js';

export interface CatalogViewLimits {
  /** Bytes of catalog files extracted from the layers. */
  readonly maxBytes: number;
  readonly maxFiles: number;
  /** Heap of the parsing child process, MiB. */
  readonly heapMb: number;
  /** Deadline of one read (extraction and parsing). */
  readonly timeoutMs: number;
  /** Catalog summaries kept. */
  readonly cacheEntries: number;
  /** Requests that may wait while another catalog is read; more get 503. */
  readonly queue: number;
}

export const DEFAULT_CATALOG_LIMITS: CatalogViewLimits = { maxBytes: 1024 ** 3, maxFiles: 200_000, heapMb: 2048, timeoutMs: 300_000, cacheEntries: 32, queue: 4 };

export interface CatalogView {
  /** The digest the reference resolved to (an index for a multi-platform image). */
  readonly digest: string;
  /** The single-platform image read, and its platform. */
  readonly image: string;
  readonly platform: string;
  readonly format: 'fbc' | 'sqlite';
  /** Where the catalog is in the image (`/configs`). */
  readonly path: string;
  readonly packages: readonly PackageSummary[];
  readonly warnings: readonly string[];
}

const PLATFORM_RE = /^[a-z0-9]+\/[a-z0-9]+(?:\/[a-z0-9]+)?$/;

export class CatalogViews {
  private readonly cache = new Map<string, CatalogView>();
  private readonly inFlight = new Map<string, Promise<CatalogView>>();
  private running = Promise.resolve();
  private waiting = 0;

  constructor(
    private readonly service: RegistryService,
    private readonly limits: CatalogViewLimits = DEFAULT_CATALOG_LIMITS,
    private readonly tmpDir?: string,
  ) {}

  /** The catalog of `repo` at `reference` (tag or digest); `platform` picks an index's image (default linux/amd64). */
  async view(repo: string, reference: string, platform = 'linux/amd64'): Promise<CatalogView> {
    assertName(repo);
    if (!PLATFORM_RE.test(platform)) throw new RegistryError('UNSUPPORTED', 'platform must be os/arch[/variant], e.g. linux/amd64', undefined, 400);
    const { digest } = await this.service.getManifest(repo, reference);
    const key = `${repo}\u0000${digest}\u0000${platform}`;
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    let job = this.inFlight.get(key);
    if (!job) {
      if (this.waiting >= this.limits.queue + 1) {
        throw new RegistryError('UNAVAILABLE', 'the registry is reading other catalogs; retry in a few seconds', undefined, 503, { 'Retry-After': '10' });
      }
      const where = reference.includes(':') ? `${repo}@${digest}` : `${repo}:${reference}`;
      job = this.queued(() => this.read(repo, digest, where, platform));
      this.inFlight.set(key, job);
      void job.then(
        (v) => {
          this.cache.set(key, v);
          while (this.cache.size > this.limits.cacheEntries) this.cache.delete(this.cache.keys().next().value!);
        },
        () => undefined,
      ).finally(() => this.inFlight.delete(key));
    }
    return job;
  }

  /** Runs `f` after every job queued before it (one catalog read at a time). */
  private queued<T>(f: () => Promise<T>): Promise<T> {
    this.waiting++;
    const out = this.running.then(f).finally(() => this.waiting--);
    this.running = out.then(
      () => undefined,
      () => undefined,
    );
    return out;
  }

  private async read(repo: string, digest: string, where: string, platform: string): Promise<CatalogView> {
    const src = registryImageSource(this.service, repo);
    const l = this.limits;
    // The index extraction (tar, sqlite index reading) is loaded at the first catalog view, not at server start.
    const { fbcLabel, indexDbFile, withIndexFiles } = await import('../../catalog/index-image.js');
    const { ImageFilesLimitError } = await import('../../extract/image-files.js');
    try {
      return await withIndexFiles(src, digest, where, { platform, limits: { maxBytes: l.maxBytes, maxFiles: l.maxFiles }, signal: AbortSignal.timeout(l.timeoutMs), ...(this.tmpDir ? { tmpDir: this.tmpDir } : {}) }, async (f) => {
        const file = f.format === 'fbc' ? f.dir : await indexDbFile(f, where);
        const label = f.format === 'fbc' ? fbcLabel(f.path) : f.path;
        const s = await summarizeInWorker({ format: f.format, file, label }, { heapMb: l.heapMb, timeoutMs: l.timeoutMs });
        return { digest: f.digest, image: f.image.digest, platform: f.platform, format: f.format, path: f.path, packages: s.packages, warnings: [...f.warnings, ...s.warnings] };
      });
    } catch (e) {
      if (e instanceof RegistryError) throw e;
      const line = (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 2000);
      if (e instanceof CatalogError && e.cause instanceof ImageFilesLimitError) throw new RegistryError('SIZE_INVALID', `catalog of ${where}: ${line}`, undefined, 413);
      if (e instanceof CatalogError) throw new RegistryError('UNSUPPORTED', `catalog of ${where}: ${line}`, undefined, 422);
      throw new RegistryError('UNSUPPORTED', `catalog of ${where}: cannot read it: ${line}`, undefined, 422);
    } finally {
      await src.close();
    }
  }
}
