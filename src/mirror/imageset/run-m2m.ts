/**
 * The mirror-to-mirror workflow of an image set, on the mirror layer:
 * destination pre-check (dest-check.ts) → collect ONE plan (collector.ts)
 * → the pre-check again if the plan goes deeper → missing images found
 * before copying → copy (or a dry run: mapping.txt, missing.txt, bytes per
 * origin) → cluster resources, pinned config, report.json under
 * `<workspace>/working-dir/`. Release failures end the run; operator and
 * additional failures are listed and the run goes on. The result carries
 * oc-mirror v2's exit bitmask (1 generic, 2 release, 4 operator, 8 additional,
 * 16 helm; anchors §1).
 */
import { join } from 'node:path';
import type { CopyEvent } from '../../copy/events.js';
import { destinationName } from '../../copy/mirror.js';
import { formatBytes } from '../../copy/mirror-report.js';
import { repositoryText } from '../../transports/all.js';
import type { CacheStore } from '../cache/cache-store.js';
import { cachedSignatures } from '../cache/signature-cache.js';
import type { MirrorExecutor } from '../executor.js';
import { makePlan, type OriginKind, type PlanItem } from '../plan.js';
import type { ReleaseSignatures } from '../resources/signature-configmap.js';
import type { CincinnatiClient } from './cincinnati.js';
import { ImageSetCollector, type ImageSetInfo } from './collector.js';
import { clusterResources } from './cluster-resources.js';
import type { ImageSetConfig } from './config-types.js';
import { checkDestination } from './dest-check.js';
import { graphStep } from './graph-outputs.js';
import { sparseCheck } from './sparse-outputs.js';
import { splitRegistryDest } from './naming.js';
import { dryRunMapping, fileTime, pinnedConfig, writeFiles } from './outputs.js';
import { ImageSetReleaseError } from './releases.js';
import { buildReport, itemKind, type FailedImage, type OriginBytes } from './report.js';
import { reportHtml, type ReportDoc } from './report-html.js';
import { samplesClusterResource } from './samples-section.js';

export const EXIT = { generic: 1, release: 2, operator: 4, additional: 8, helm: 16 } as const;

/** The kinds an image-set run reports images (and failures, bytes, exit bits) under. */
export type ImageKind = 'release' | 'operator' | 'additional' | 'helm';
export const IMAGE_KINDS: readonly ImageKind[] = ['release', 'operator', 'additional', 'helm'];

/** oc-mirror v2's exit bitmask for a run's failures (a missing release image counts as a release failure). */
export function exitBits(failed: readonly { kind: ImageKind }[], releaseMissing = false): number {
  return (releaseMissing || failed.some((f) => f.kind === 'release') ? EXIT.release : 0) | IMAGE_KINDS.filter((k) => k !== 'release' && failed.some((f) => f.kind === k)).reduce((n, k) => n | EXIT[k], 0);
}

/** A collector failure's report kind (operator catalogs, charts; anything else is additional). */
export const failureKind = (k: OriginKind): ImageKind => (k === 'operator' || k === 'helm' ? k : 'additional');

export interface M2mInput {
  readonly config: ImageSetConfig;
  readonly configText: string;
  readonly workspace: string;
  /** `host[:port][/prefix]`. */
  readonly dest: string;
  readonly maxNestedPaths: number;
  readonly dryRun: boolean;
  readonly graph: CincinnatiClient;
  readonly rebuildDir?: string;
  readonly removeSignatures: boolean;
  readonly annotations: Readonly<Record<string, string>>;
  /** Release signatures are kept here between runs (undefined: fetched each time). */
  readonly cache?: CacheStore;
  /** `platform.graph`: --graph-data-url and --graph-base-image (graph-outputs.ts). */
  readonly graphDataUrl?: string;
  readonly graphBaseImage?: string;
}

export interface M2mResult {
  readonly exitCode: number;
  readonly reportFile: string;
}

export const label = (i: PlanItem): string => `${destinationName(i.source, undefined)}${i.within.includes(':') ? '@' : ':'}${i.within}`;

export const kindOf = (i: PlanItem): ImageKind => itemKind(i);

/** The deepest repository path (below the host) among the targets; `fallback` when none. */
function deepestPath(items: readonly PlanItem[], fallback: string): string {
  let best = fallback;
  for (const i of items) for (const t of i.targets) {
    const p = repositoryText(t.ref).split('/').slice(1).join('/');
    if (p.split('/').length > best.split('/').length) best = p;
  }
  return best;
}

/** Byte counts per origin from the engine's blob events (attributed by destination repository). */
export class OriginCounter {
  readonly bytes: Record<ImageKind, OriginBytes> = {
    release: { transferred: 0, saved: 0, blobs: 0 }, operator: { transferred: 0, saved: 0, blobs: 0 }, additional: { transferred: 0, saved: 0, blobs: 0 }, helm: { transferred: 0, saved: 0, blobs: 0 },
  };
  private readonly byRepo = new Map<string, ImageKind>();
  /** `keyOf` turns an event's destination description into the repositoryText of its target (default: drop `docker://`). */
  constructor(private readonly keyOf: (dst: string) => string = (dst) => dst.replace(/^docker:\/\//, '')) {}
  setItems(items: readonly PlanItem[]): void {
    for (const i of items) for (const t of i.targets) if (!this.byRepo.has(repositoryText(t.ref))) this.byRepo.set(repositoryText(t.ref), kindOf(i));
  }
  readonly onEvent = (e: CopyEvent): void => {
    if (e.type !== 'blob') return;
    const k = this.byRepo.get(this.keyOf(e.dst));
    if (k === undefined) return;
    const b = this.bytes[k];
    b.blobs++;
    if (e.action === 'uploaded') b.transferred += e.size;
    else b.saved += e.size;
  };
}

/** The GPG signatures of each release whose payload names signature stores (warnings as lines). */
export async function releaseSignatures(info: ImageSetInfo, message: (line: string) => void, cache?: CacheStore): Promise<ReleaseSignatures[]> {
  const out: ReleaseSignatures[] = [];
  for (const r of info.releases) {
    if (r.info.payloadStores.length === 0) continue;
    const s = await cachedSignatures(cache, r.info.payloadStores, r.info.releaseDigest);
    for (const w of s.warnings) message(`warning: ${w}`);
    out.push({ digest: r.info.releaseDigest, signatures: s.signatures });
  }
  return out;
}

export async function runM2m(x: MirrorExecutor, o: M2mInput, counter: OriginCounter): Promise<M2mResult> {
  const started = new Date();
  const t0 = Date.now();
  const c = x.console;
  const work = join(o.workspace, 'working-dir');
  const { host, prefix } = splitRegistryDest(o.dest);
  const flag = `docker://${o.dest}`;
  // 1. The destination, before any work, at the deepest path the config alone names.
  const guess = [...prefix, 'openshift', 'release-images'].join('/');
  await checkDestination(x.registries.client(host, 'destination'), guess, flag);
  const tCheck = Date.now();
  // 2. One plan.
  let items: readonly PlanItem[];
  let info: ImageSetInfo;
  try {
    ({ items, info } = await new ImageSetCollector({ config: o.config, dest: o.dest, maxNestedPaths: o.maxNestedPaths, graph: o.graph, rebuildDir: o.rebuildDir, helmDir: join(work, 'helm') }).collect({ env: x.env, warn: (m) => c.message(`warning: ${m}`) }));
  } catch (e) {
    if (e instanceof ImageSetReleaseError) {
      c.message(`error: ${e.message}`);
      return { exitCode: EXIT.release, reportFile: '' };
    }
    throw e;
  }
  for (const n of info.notes) c.message(`info: ${n}`);
  for (const f of info.failures) c.message(`error: ${f.what}: ${f.message}`);
  for (const b of info.blocked) c.message(`info: blocked ${b.image} (blockedImages "${b.pattern}", ${b.where})`);
  const deepest = deepestPath(items, guess);
  if (deepest !== guess) await checkDestination(x.registries.client(host, 'destination'), deepest, flag);
  if (!o.dryRun) await sparseCheck(x, items);
  const tCollect = Date.now();
  counter.setItems(items);
  c.message(`info: ${info.releases.length} release(s), ${info.catalogs.length} catalog(s), ${items.length} images to mirror to ${flag}`);
  // 3. Missing images, all at once; a missing release image is fatal.
  const plan = makePlan(items, { dryRun: o.dryRun, skipMissing: true, continueOnError: true, attachments: !o.removeSignatures });
  const missing = await x.findMissing(plan);
  const missingSet = new Set(missing.map((m) => m.item));
  for (const m of missing) c.message(`${kindOf(m.item) === 'release' ? 'error' : 'warning'}: ${m.image} does not exist (${m.item.origins.map((g) => g.kind + (g.component ? ` ${g.component}` : g.package ? ` ${g.package}/${g.bundle ?? ''}` : g.where ? ` ${g.where}` : '')).join(', ')})`);
  const failed: FailedImage[] = info.failures.map((f) => ({ image: f.what, kind: failureKind(f.kind), why: f.message }));
  for (const m of missing) failed.push({ image: m.image, kind: kindOf(m.item), why: 'missing', missing: true });
  const keep = items.filter((i) => !missingSet.has(i));
  if (o.dryRun) await writeFiles(work, new Map([['dry-run/mapping.txt', dryRunMapping(keep)], ...(missing.length > 0 ? [['dry-run/missing.txt', dryRunMapping(missing.map((m) => m.item))] as [string, string]] : [])]));
  const releaseMissing = missing.some((m) => kindOf(m.item) === 'release');
  // 4. Copy (or plan the copy).
  const result = releaseMissing ? { images: [], missing: [], errors: [], attachments: 0 } : await x.execute({ ...plan, items: keep }, { onImage: (im) => { if (!o.dryRun) c.out(`${im.digest} ${im.destination}\n`); } });
  const tCopy = Date.now();
  const byLabel = new Map(keep.map((i) => [label(i), i]));
  for (const e of result.errors) {
    const item = byLabel.get(e.source);
    failed.push({ image: e.source, kind: item ? kindOf(item) : 'additional', why: e.message });
    c.message(`error: ${e.source}: ${e.message}`);
  }
  const graphOut = o.config.platform?.graph === true && !releaseMissing ? await graphStep(x, o) : undefined;
  if (graphOut?.error !== undefined) failed.push({ image: 'graph-data image', kind: 'release', why: graphOut.error });
  const failedLabels = new Set(result.errors.map((e) => e.source));
  const mirrored = keep.filter((i) => !failedLabels.has(label(i)));
  // 5. Cluster resources (release signatures when the payload names stores), pinned config, report.
  const signatures = await releaseSignatures(info, (m) => c.message(m), o.cache);
  const resources = releaseMissing ? new Map<string, string>() : clusterResources({ items: mirrored, catalogs: info.catalogs, maxNestedPaths: o.maxNestedPaths, signatures, annotations: o.annotations });
  const files = new Map<string, string>([...resources, ...(graphOut?.files ?? [])].map(([k, v]) => [`cluster-resources/${k}`, v]));
  const samples = info.samples && !o.dryRun && !releaseMissing ? samplesClusterResource(info.samples, mirrored, o.dest, o.annotations) : undefined;
  if (samples) files.set(`cluster-resources/${samples.file}`, samples.text);
  if (!o.dryRun && !releaseMissing) files.set(`isc_pinned_${fileTime(started)}.yaml`, pinnedConfig(o.configText, info));
  const exitCode = exitBits(failed, releaseMissing);
  const report = buildReport({
    workflow: 'mirrorToMirror', config: o.config.file, destination: flag, dryRun: o.dryRun, started, items: mirrored, info, failed, bytes: counter.bytes, stats: x.report.stats,
    timings: { checkMs: tCheck - t0, collectMs: tCollect - tCheck, copyMs: tCopy - tCollect, totalMs: Date.now() - t0 }, exitCode,
  });
  files.set('report.json', `${JSON.stringify(report, null, 2)}\n`);
  files.set('report.html', reportHtml(report as ReportDoc));
  await writeFiles(work, files);
  const b = counter.bytes;
  const total = IMAGE_KINDS.reduce((n, k) => n + b[k].transferred, 0);
  c.message(`info: ${o.dryRun ? 'would transfer' : 'transferred'} ${formatBytes(total)} (${total} bytes) after deduplication: release ${b.release.transferred}, operator ${b.operator.transferred}, additional ${b.additional.transferred}, helm ${b.helm.transferred} bytes; deduplication saved ${IMAGE_KINDS.reduce((n, k) => n + b[k].saved, 0)} bytes`);
  if (o.dryRun) c.message(`info: dry run: wrote ${join(work, 'dry-run', 'mapping.txt')}${missing.length > 0 ? ` and missing.txt (${missing.length} images)` : ''}`);
  c.message(`info: cluster resources in ${join(work, 'cluster-resources')}; report in ${join(work, 'report.json')} and report.html`);
  if (samples) c.message(`info: samples: skippedImagestreams ${samples.skipped.length === 0 ? '(none)' : samples.skipped.join(', ')}; apply with: ${samples.patch}`);
  return { exitCode, reportFile: join(work, 'report.json') };
}
