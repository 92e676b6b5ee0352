/**
 * Mirror to disk (m2d) of an image set: `airlock mirror -c isc.yaml file://DIR`.
 * ONE plan from the collector (placeholder destination, archive-plan.ts),
 * its targets moved into the archive set (archive://PATH), executed by the
 * one executor into an ArchiveWriter: DIR/mirror_000001.tar, … split at
 * archiveSize, holding only the blobs the far side lacks (the skip set: the
 * blob history of working-dir/.history, or an inventory of the far registry
 * with --since-inventory), the manifests and tags of the set the far side
 * lacks (the rest listed in the index as onDestination), the config
 * (isc_<time>.yaml), the plan for d2m, and each tar's checksum manifest;
 * never the working directory. Then working-dir/: the new history file,
 * the pinned config and report.json (dry run: dry-run/mapping.txt and
 * missing.txt, and no archive is touched).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatBytes } from '../../copy/mirror-report.js';
import type { ArchiveEnv } from '../../transports/archive/archive-transport.js';
import { ArchiveWriter } from '../../transports/archive/archive-writer.js';
import { ArchiveWriteError, type ArchiveIndex } from '../../transports/archive/format.js';
import { inventorySkipSet, type DigestSet } from '../../transports/archive/skip-set.js';
import { DeliveredImages } from '../../transports/archive/delivered-images.js';
import type { MirrorExecutor } from '../executor.js';
import { makePlan, type PlanItem } from '../plan.js';
import { packGraph, samplesInSet, type GraphInSet } from './archive-extras.js';
import { archivePlan, ARCHIVE_HOST, PLAN_MEMBER, toArchiveItems } from './archive-plan.js';
import type { CincinnatiClient } from './cincinnati.js';
import { ImageSetCollector, type ImageSetInfo } from './collector.js';
import type { ImageSetConfig } from './config-types.js';
import { readHistory, writeHistory } from './history.js';
import { dryRunMapping, fileTime, pinnedConfig, writeFiles } from './outputs.js';
import { ImageSetReleaseError } from './releases.js';
import { buildReport, type FailedImage } from './report.js';
import { EXIT, exitBits, failureKind, IMAGE_KINDS, kindOf, label, OriginCounter, releaseSignatures, type M2mResult } from './run-m2m.js';

export interface M2dInput {
  readonly config: ImageSetConfig;
  readonly configText: string;
  /** The file:// directory: archives and working-dir/ go here. */
  readonly dir: string;
  readonly dryRun: boolean;
  readonly graph: CincinnatiClient;
  readonly rebuildDir?: string;
  readonly removeSignatures: boolean;
  /** Largest archive file, bytes. */
  readonly archiveSize: number;
  /** --strict-archive. */
  readonly strict: boolean;
  /** --since: history before that day. */
  readonly since?: Date;
  /** --since-inventory FILE (airlock inventory export of the far registry). */
  readonly inventory?: string;
  /** platform.graph: --graph-data-url and --graph-base-image (archive-extras.ts packs the image). */
  readonly graphDataUrl?: string;
  readonly graphBaseImage?: string;
}

/** The executor for a run, once the archive set it writes exists (its counter sees the engine's events). */
export type ExecutorFactory = (archive: ArchiveEnv, counter: OriginCounter) => MirrorExecutor;

/** The skip set (blobs) and the delivered manifests and tags: the inventory when given, else the chosen history file. */
async function skipSet(o: M2dInput, work: string, say: (l: string) => void): Promise<{ blobs: DigestSet; images: DeliveredImages }> {
  if (o.inventory !== undefined) {
    const s = await inventorySkipSet(o.inventory);
    const n = s.images.size;
    say(`info: packing only what the inventory ${o.inventory} lacks (${s.blobs.size} digests, ${n.tags} tags held there)`);
    return s;
  }
  const h = await readHistory(work, o.since);
  const n = h.images.size;
  if (h.file === undefined) say(`info: no blob history${o.since ? ' before --since' : ''} in ${join(work, '.history')}: packing every blob of the set`);
  else say(`info: packing only blobs, manifests and tags not in ${h.file} (${h.digests.size} digests, ${n.manifests} manifests, ${n.tags} tags)`);
  return { blobs: h.digests, images: h.images };
}

/** The history after this set is delivered: what was delivered before, and everything the set carries or relies on. */
function deliveredAfter(before: DeliveredImages, index: ArchiveIndex): DeliveredImages {
  const out = new DeliveredImages();
  for (const l of before.lines()) out.addLine(l);
  for (const [path, r] of Object.entries(index.repositories)) {
    for (const d of r.manifests) out.addManifest(path, d);
    for (const [t, d] of Object.entries(r.tags)) out.addTag(path, t, d);
  }
  for (const [path, r] of Object.entries(index.onDestination ?? {})) {
    for (const d of r.manifests) out.addManifest(path, d);
    for (const [t, d] of [...Object.entries(r.tags), ...Object.entries(r.retag)]) out.addTag(path, t, d);
  }
  return out;
}

export async function runM2d(make: ExecutorFactory, o: M2dInput): Promise<M2mResult> {
  const started = new Date();
  const t0 = Date.now();
  const work = join(o.dir, 'working-dir');
  const early: string[] = [];
  const { blobs: skip, images } = await skipSet(o, work, (l) => early.push(l));
  // A dry run writes its (empty) set into a private directory: the archives in DIR stay as they are.
  const scratch = o.dryRun ? await mkdtemp(join(tmpdir(), 'airlock-m2d-dry-')) : undefined;
  const warnings: string[] = [];
  const writer = await ArchiveWriter.create({ dir: scratch ?? o.dir, archiveSize: o.archiveSize, skip, images, strict: o.strict, onWarning: (m) => warnings.push(m) });
  const base = `archive:${writer.dir}/`;
  const counter = new OriginCounter((dst) => (dst.startsWith(base) ? `archive://${dst.slice(base.length)}` : dst));
  const x = make({ writer }, counter);
  const c = x.console;
  for (const l of early) c.message(l);
  try {
    let items: readonly PlanItem[];
    let info: ImageSetInfo;
    try {
      ({ items, info } = await new ImageSetCollector({ config: o.config, dest: ARCHIVE_HOST, maxNestedPaths: 0, graph: o.graph, rebuildDir: o.rebuildDir, helmDir: join(o.dir, 'working-dir', 'helm') }).collect({ env: x.env, warn: (m) => c.message(`warning: ${m}`) }));
    } catch (e) {
      if (e instanceof ImageSetReleaseError) {
        c.message(`error: ${e.message}`);
        return { exitCode: EXIT.release, reportFile: '' };
      }
      throw e;
    }
    const tCollect = Date.now();
    for (const n of info.notes) c.message(`info: ${n}`);
    for (const f of info.failures) c.message(`error: ${f.what}: ${f.message}`);
    for (const b of info.blocked) c.message(`info: blocked ${b.image} (blockedImages "${b.pattern}", ${b.where})`);
    const packed = toArchiveItems(items);
    counter.setItems(packed);
    c.message(`info: ${info.releases.length} release(s), ${info.catalogs.length} catalog(s), ${packed.length} images to pack into ${o.dir}`);
    const plan = makePlan(packed, { dryRun: o.dryRun, skipMissing: true, continueOnError: true, attachments: !o.removeSignatures });
    const missing = await x.findMissing(plan);
    const missingSet = new Set(missing.map((m) => m.item));
    for (const m of missing) c.message(`${kindOf(m.item) === 'release' ? 'error' : 'warning'}: ${m.image} does not exist`);
    const failed: FailedImage[] = info.failures.map((f) => ({ image: f.what, kind: failureKind(f.kind), why: f.message }));
    for (const m of missing) failed.push({ image: m.image, kind: kindOf(m.item), why: 'missing', missing: true });
    const keep = packed.filter((i) => !missingSet.has(i));
    const releaseMissing = missing.some((m) => kindOf(m.item) === 'release');
    if (o.dryRun) {
      const asFile = (text: string): string => text.replaceAll(`=docker://archive://`, `=file://${o.dir}/`);
      const mapping = (list: readonly PlanItem[]): string => asFile(dryRunMapping(list));
      await writeFiles(work, new Map([['dry-run/mapping.txt', mapping(keep)], ...(missing.length > 0 ? [['dry-run/missing.txt', mapping(missing.map((m) => m.item))] as [string, string]] : [])]));
    }
    if (releaseMissing) return { exitCode: EXIT.release, reportFile: '' };
    const signatures = await releaseSignatures(info, (m) => c.message(m));
    const configMember = `isc_${fileTime(started)}.yaml`;
    if (!o.dryRun) await writer.addFile(configMember, Buffer.from(o.configText));
    let graph: GraphInSet | undefined;
    if (o.config.platform?.graph === true && !o.dryRun) {
      const g = await packGraph(x, o);
      graph = g.graph;
      if (g.error !== undefined) failed.push({ image: 'graph-data image', kind: 'release', why: g.error });
    } else if (o.config.platform?.graph === true) c.message('info: dry run: would build the graph-data image into the set as openshift/graph-image:latest');
    // The plan goes in before copying (the copy commits the set); an image that fails to pack fails again at d2m.
    if (!o.dryRun) {
      const samples = info.samples ? samplesInSet(info.samples, keep) : undefined;
      const doc = archivePlan({ created: started, config: o.config.file, configMember, items: keep, info, failed, signatures, ...(graph ? { graph } : {}), ...(samples ? { samples } : {}) });
      await writer.addFile(PLAN_MEMBER, Buffer.from(`${JSON.stringify(doc, null, 1)}\n`));
    }
    let result;
    try {
      result = await x.execute({ ...plan, items: keep }, { onImage: (im) => { if (!o.dryRun) c.out(`${im.digest} ${im.destination}\n`); } });
    } catch (e) {
      if (writer.refused === undefined) throw e;
    }
    if (writer.refused !== undefined) throw new ArchiveWriteError(`${writer.refused.message}; no archive was written (--strict-archive)`);
    if (result === undefined) throw new Error('unreachable');
    for (const w of warnings) c.message(`warning: ${w}`);
    const tCopy = Date.now();
    const byLabel = new Map(keep.map((i) => [label(i), i]));
    for (const e of result.errors) {
      const item = byLabel.get(e.source);
      failed.push({ image: e.source, kind: item ? kindOf(item) : 'additional', why: e.message });
      c.message(`error: ${e.source}: ${e.message}`);
    }
    const failedLabels = new Set(result.errors.map((e) => e.source));
    const mirrored = keep.filter((i) => !failedLabels.has(label(i)));
    const files = new Map<string, string>();
    if (!o.dryRun) {
      const index = await writer.commit();
      const newest = o.inventory === undefined && o.since === undefined ? { digests: skip, images } : await readHistory(work);
      const history = await writeHistory(work, started, [...newest.digests.values(), ...Object.keys(index.blobs), ...Object.keys(index.delivered)], deliveredAfter(newest.images, index));
      const bytes = index.archives.reduce((n, a) => n + a.size, 0);
      const left = Object.values(index.onDestination ?? {}).reduce((n, r) => n + Object.keys(r.tags).length + Object.keys(r.retag).length + r.manifests.length, 0);
      c.message(`info: wrote ${index.archives.length} archive file(s) (${index.archives.map((a) => a.file).join(', ')}), ${formatBytes(bytes)} (${bytes} bytes): ${Object.keys(index.blobs).length} blobs and manifests packed, ${Object.keys(index.delivered).length} blobs and ${left} images left out as already delivered; history ${history}`);
      files.set(`isc_pinned_${fileTime(started)}.yaml`, pinnedConfig(o.configText, info));
    }
    const exitCode = exitBits(failed);
    const report = buildReport({
      workflow: 'mirrorToDisk', config: o.config.file, destination: `file://${o.dir}`, dryRun: o.dryRun, started, items: mirrored, info, failed, bytes: counter.bytes, stats: x.report.stats,
      timings: { collectMs: tCollect - t0, copyMs: tCopy - tCollect, totalMs: Date.now() - t0 }, exitCode,
    });
    files.set('report.json', `${JSON.stringify(report, null, 2)}\n`);
    await writeFiles(work, files);
    const b = counter.bytes;
    const total = IMAGE_KINDS.reduce((n, k) => n + b[k].transferred, 0);
    c.message(`info: ${o.dryRun ? 'would pack' : 'packed'} ${formatBytes(total)} (${total} bytes) of blobs: release ${b.release.transferred}, operator ${b.operator.transferred}, additional ${b.additional.transferred}, helm ${b.helm.transferred} bytes; left out or deduplicated ${IMAGE_KINDS.reduce((n, k) => n + b[k].saved, 0)} bytes`);
    if (o.dryRun) c.message(`info: dry run: wrote ${join(work, 'dry-run', 'mapping.txt')}${missing.length > 0 ? ` and missing.txt (${missing.length} images)` : ''}`);
    else c.message(`info: report in ${join(work, 'report.json')}; carry ${o.dir} (mirror_*.tar and mirror_index.json) and check it with airlock archive verify`);
    return { exitCode, reportFile: join(work, 'report.json') };
  } finally {
    await writer.abort();
    await x.close();
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  }
}
