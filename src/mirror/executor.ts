/**
 * The one executor of mirror plans, on the copy engine. It owns the single
 * wiring every mirroring command shares: the registry hub (its retries and
 * warnings become engine events), the report (summary, dry-run plan,
 * progress numbers), the event sink, the blob-location cache, and the
 * console lines. Commands are thin clients: open an executor, let collectors
 * fill a plan through `env`, `execute` it, hand the result to writers, close.
 */
import type { BlobLocations } from '../copy/blob-locations.js';
import { connectionsFor, createCopyContext, lookupLimit } from '../copy/copy-context.js';
import type { CopyEvent } from '../copy/events.js';
import { MirrorReport } from '../copy/mirror-report.js';
import { DEFAULT_MAX_REGISTRIES, declareScopes, runMirror, type ImageOutcome, type MirrorJob, type MirrorResult } from '../copy/mirror.js';
import type { TransportEnv } from '../transports/open.js';
import { RegistryHub, type RegistryHubOptions } from '../transports/registry/registry-hub.js';
import type { RetryPolicy } from '../transports/registry/retry.js';
import type { MirrorConsole } from './console.js';
import { findMissing, type MissingItem } from './preflight.js';
import { isSparse, platformPattern, type MirrorPlan, type PlanItem } from './plan.js';

export interface ExecutorOptions {
  /** Registry access from the command's flags (auth, TLS per side, timeouts); retries and warnings are wired here. */
  readonly hub: RegistryHubOptions;
  /** Builds the console once the report exists (a progress display reads the report's numbers). */
  readonly console: (report: MirrorReport) => MirrorConsole;
  /** Root of the file:// store for writes (and reads without fromDir); default: the current directory. */
  readonly dir?: string;
  /** Root of the file:// store for reads. */
  readonly fromDir?: string;
  /** The archive set archive:// references name (mirror to disk, disk to mirror). */
  readonly archive?: TransportEnv['archive'];
  /** The dry-run plan's header for file:// destinations (oc prints the store root). */
  readonly fileDir: string;
  /** Concurrent requests per registry or local store (oc's --max-per-registry). */
  readonly maxPerRegistry: number;
  /** Stores with images in flight at once (oc's --max-registry, default 4); images in flight: this × maxPerRegistry. */
  readonly maxRegistry?: number;
  /**
   * Images copied at once (default maxRegistry × the look-ups a registry may
   * have in flight: an image in flight costs its manifests; its blobs wait
   * for the limiter's transfer lane).
   */
  readonly parallelImages?: number;
  readonly retry?: RetryPolicy;
  /** Upload blobs and manifests even when the destination has them. */
  readonly force?: boolean;
  /** Never cross-repository mount. */
  readonly skipMount?: boolean;
  /** Blob locations remembered across runs (--blob-cache); saved after a real run. */
  readonly blobCache?: BlobLocations;
  /** Print `info: retry …` lines (off for machine-readable output). */
  readonly retryMessages?: boolean;
  /** Blobs a destination store is known to lack (d2m's first push of an archive set): uploaded without a HEAD first. */
  readonly knownAbsent?: (store: string, digest: string) => boolean;
  /** Sees every engine event after the report (per-origin byte counts of an image-set run). */
  readonly onEvent?: (e: CopyEvent) => void;
}

export interface ExecuteHooks {
  /** Called as each destination of an item is done, before the progress display counts it. */
  readonly onImage?: (o: ImageOutcome) => void;
}

/** The copy engine's jobs for a plan's items (platform overrides compiled). */
export function planJobs(items: readonly PlanItem[]): MirrorJob[] {
  return items.map((i) => ({
    source: i.source,
    within: i.within,
    targets: i.targets,
    ...(i.platforms !== undefined ? { platform: { filter: platformPattern(i.platforms), keepManifestList: i.platforms.mode === 'filter-by-os' && i.platforms.keepManifestList, sparse: isSparse(i.platforms) } } : {}),
  }));
}

export class MirrorExecutor {
  readonly report: MirrorReport;
  readonly console: MirrorConsole;
  readonly registries: RegistryHub;
  readonly env: TransportEnv;

  constructor(private readonly o: ExecutorOptions) {
    this.report = new MirrorReport({ fileDir: o.fileDir });
    this.console = o.console(this.report);
    this.registries = new RegistryHub({
      ...o.hub,
      connections: connectionsFor(o.maxPerRegistry),
      onRetry: (r) => this.emit({ type: 'retry', ...r }),
      onWarning: (message) => this.emit({ type: 'warning', message }),
    });
    this.env = { registries: this.registries, dir: o.dir, fromDir: o.fromDir, archive: o.archive };
  }

  /** The event sink: the report sees every event; warnings (and retries, unless off) become console lines. */
  readonly emit = (e: CopyEvent): void => {
    this.report.sink(e);
    this.o.onEvent?.(e);
    if (e.type === 'warning') this.console.message(`warning: ${e.message}`);
    if (e.type === 'retry' && this.o.retryMessages !== false) this.console.message(`info: retry ${e.attempt} of ${e.what} in ${(e.delayMs / 1000).toFixed(1)}s: ${e.error}`);
  };

  /**
   * Items whose source image does not exist, each with its origin, found
   * before anything is copied (one manifest read per item). For collectors
   * whose inputs name many images that may be gone (operator catalogs).
   */
  findMissing(plan: MirrorPlan, signal?: AbortSignal): Promise<MissingItem[]> {
    return findMissing(this.env, plan.items, this.o.maxPerRegistry * (this.o.maxRegistry ?? DEFAULT_MAX_REGISTRIES), signal);
  }

  /** Copies the plan's items. Errors of single images are in the result; only setup failures throw. */
  async execute(plan: MirrorPlan, hooks: ExecuteHooks = {}): Promise<MirrorResult> {
    const p = plan.options;
    const maxRegistry = this.o.maxRegistry ?? DEFAULT_MAX_REGISTRIES;
    const copy = createCopyContext({
      locations: this.o.blobCache,
      maxPerStore: this.o.maxPerRegistry,
      retry: this.o.retry,
      force: this.o.force,
      skipMount: this.o.skipMount,
      platformFilter: platformPattern(p.platforms),
      keepManifestList: p.platforms.mode === 'filter-by-os' ? p.platforms.keepManifestList : undefined,
      sparseManifestList: isSparse(p.platforms),
      dryRun: p.dryRun,
      emit: this.emit,
      ...(this.o.knownAbsent && !p.dryRun ? { knownAbsent: this.o.knownAbsent } : {}),
    });
    const jobs = planJobs(plan.items);
    declareScopes(this.env, jobs);
    this.console.start();
    const result = await runMirror(jobs, {
      env: this.env,
      copy,
      skipMissing: p.skipMissing,
      missingHint: p.missingHint,
      continueOnError: p.continueOnError,
      skipSignatures: !p.attachments,
      parallelImages: this.o.parallelImages ?? maxRegistry * lookupLimit(this.o.maxPerRegistry),
      maxRegistries: maxRegistry,
      onImage: (o) => {
        hooks.onImage?.(o);
        this.console.imageDone();
      },
    });
    this.console.stop();
    const cache = this.o.blobCache;
    if (cache && !p.dryRun) await cache.save().catch((e: unknown) => this.console.message(`warning: could not update the blob cache ${cache.file}: ${(e as Error).message}`));
    return result;
  }

  /** Removes the progress display and closes the registry connections. */
  async close(): Promise<void> {
    this.console.stop();
    await this.registries.close();
  }
}
