/**
 * `working-dir/report.json` of an image-set run: what was mirrored by
 * origin (release, operator, additional, helm: images and bytes), the bytes deduplication saved, the missing,
 * blocked and failed images each with why, and timings.
 */
import type { MirrorStats } from '../../copy/mirror-report.js';
import { repositoryText } from '../../transports/all.js';
import type { PlanItem } from '../plan.js';
import type { ImageSetInfo } from './collector.js';

export interface OriginBytes {
  transferred: number;
  /** Bytes not sent: already present, mounted, or deduplicated within the run. */
  saved: number;
  blobs: number;
}

export interface FailedImage {
  readonly image: string;
  readonly kind: 'release' | 'operator' | 'additional' | 'helm';
  readonly why: string;
  readonly missing?: boolean;
}

export interface ReportInput {
  readonly workflow: string;
  readonly config: string;
  readonly destination: string;
  readonly dryRun: boolean;
  readonly started: Date;
  readonly items: readonly PlanItem[];
  readonly info: ImageSetInfo;
  readonly failed: readonly FailedImage[];
  readonly bytes: Readonly<Record<'release' | 'operator' | 'additional' | 'helm', OriginBytes>>;
  readonly stats: MirrorStats;
  readonly timings: Readonly<Record<string, number>>;
  readonly exitCode: number;
}

/** The origin an item is reported under (one per item, as its bytes and failures): release > operator > additional > helm only. */
export function itemKind(i: PlanItem): 'release' | 'operator' | 'additional' | 'helm' {
  const k = new Set(i.origins.map((o) => o.kind));
  return k.has('release') ? 'release' : k.has('operator') ? 'operator' : k.has('helm') && !k.has('additional') ? 'helm' : 'additional';
}

export function buildReport(r: ReportInput): unknown {
  const images = (kind: string): { source: string; destinations: string[] }[] => r.items
    .filter((i) => itemKind(i) === kind)
    .map((i) => ({ source: `${repositoryText(i.source)}${i.within.startsWith('sha256:') ? '@' : ':'}${i.within}`, destinations: i.targets.map((t) => `${repositoryText(t.ref)}${t.tag ? `:${t.tag}` : ''}`) }));
  const origin = (kind: 'release' | 'operator' | 'additional' | 'helm') => ({ images: images(kind), ...r.bytes[kind] });
  return {
    kind: 'AirlockMirrorReport',
    workflow: r.workflow,
    config: r.config,
    destination: r.destination,
    dryRun: r.dryRun,
    started: r.started.toISOString(),
    exitCode: r.exitCode,
    releases: r.info.releases.map((x) => ({ channel: x.channel, architecture: x.architecture, version: x.version, image: x.image, digest: x.info.releaseDigest })),
    catalogs: r.info.catalogs.map((c) => ({ catalog: c.spec.catalog, digest: c.info.indexDigest, image: c.info.catalogImage, rebuilt: c.info.rebuilt, packages: c.info.packages, bundles: c.info.bundles })),
    mirrored: { release: origin('release'), operator: origin('operator'), additional: origin('additional'), helm: origin('helm') },
    totals: { bytesTransferred: r.stats.bytesTransferred, bytesSaved: r.stats.bytesMounted + r.stats.bytesSkipped, blobs: r.stats.blobs, manifests: r.stats.manifests, retries: r.stats.retries },
    missing: r.failed.filter((f) => f.missing).map((f) => ({ image: f.image, kind: f.kind, why: 'the source image does not exist' })),
    blocked: r.info.blocked.map((b) => ({ image: b.image, why: `matches blockedImages "${b.pattern}" (${b.where})`, origins: b.origins })),
    failed: r.failed.filter((f) => !f.missing),
    timings: r.timings,
  };
}
