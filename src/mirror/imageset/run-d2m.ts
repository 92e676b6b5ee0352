/**
 * Disk to mirror (d2m) of an image set:
 * `airlock mirror -c isc.yaml --from file://DIR docker://REG[/prefix]`.
 * The archive set in DIR is checked first, every byte against its checksum
 * manifests (the check of `airlock archive verify`: a damaged set is refused
 * naming file and member, before anything is pushed), then the destination
 * (credentials, push permission, path depth). The plan m2d packed
 * (archive-plan.ts) becomes one copy per target, `archive://PATH:TAG →
 * docker://DEST/PATH:TAG`, executed by the one executor straight from the
 * tars (ranged reads, each member checked again as it streams; nothing is
 * untarred). Blobs the set left out as delivered are mounted from the
 * repositories that use them; images whose manifests it left out are checked
 * at the destination first and re-tagged there (d2m-delivered.ts). A re-run after a kill -9 sends only what the
 * registry lacks (the engine HEADs every blob and manifest first).
 * working-dir/ under DIR gets the cluster resources for this destination
 * and report.json.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { formatBytes } from '../../copy/mirror-report.js';
import { ArchiveSet, readArchiveIndex } from '../../transports/archive/archive-reader.js';
import { problemLine, verifyArchiveSet } from '../../transports/archive/archive-verify.js';
import { ArchiveDamagedError } from '../../transports/archive/format.js';
import type { MirrorExecutor } from '../executor.js';
import { makePlan } from '../plan.js';
import { destinationName } from '../../copy/mirror.js';
import { checkThere, splitCopies, writeRetags, type CarriedBlobs } from './d2m-delivered.js';
import { graphCopy, graphResource, samplesResource } from './archive-extras.js';
import { ArchivePlanSchema, planForDestination, PLAN_MEMBER, type ArchivePlan } from './archive-plan.js';
import { clusterResources } from './cluster-resources.js';
import type { ImageSetConfig } from './config-types.js';
import { checkDestination } from './dest-check.js';
import { splitRegistryDest } from './naming.js';
import { writeFiles } from './outputs.js';
import { buildReport, type FailedImage } from './report.js';
import { exitBits, IMAGE_KINDS, kindOf, label, OriginCounter, type M2mResult } from './run-m2m.js';

export interface D2mInput {
  readonly config: ImageSetConfig;
  readonly configText: string;
  /** The --from directory. */
  readonly from: string;
  /** `host[:port][/prefix]`. */
  readonly dest: string;
  readonly maxNestedPaths: number;
  readonly dryRun: boolean;
  readonly removeSignatures: boolean;
  readonly annotations: Readonly<Record<string, string>>;
  /** The set's blobs, uploaded without a HEAD on the first push of the set to this destination. */
  readonly carried?: CarriedBlobs;
}

/** Opens and checks the set: every byte of every archive (as `archive verify`), then the structure for reading. */
export async function openCheckedSet(dir: string, say: (line: string) => void): Promise<ArchiveSet> {
  const index = await readArchiveIndex(dir);
  say(`info: checking every byte of the archive set in ${dir} (${index.archives.length} archive file(s)) against its checksum manifests, as airlock archive verify does, before pushing`);
  const v = await verifyArchiveSet(dir);
  if (!v.ok) {
    for (const p of v.problems.slice(1, 20)) say(`error: ${problemLine(p)}`);
    const p = v.problems[0]!;
    throw new ArchiveDamagedError(p.file, p.member, `${p.problem}${v.problems.length > 1 ? ` (and ${v.problems.length - 1} more problem(s), listed above)` : ''}`);
  }
  say(`info: archive set ${v.set ?? ''} checked: ${v.archives} archive file(s), ${v.members} members, ${formatBytes(v.bytes)}`);
  return ArchiveSet.open(dir);
}

/** The plan m2d packed into the set. */
export async function readArchivePlan(set: ArchiveSet): Promise<ArchivePlan> {
  const m = set.member(PLAN_MEMBER);
  if (m === undefined) throw new ArchiveDamagedError(PLAN_MEMBER, undefined, `missing from the set in ${set.dir}: it was not written by airlock mirror -c … file://DIR (for an archive of plain images use airlock archive commands)`);
  const bytes = await set.readMember(m);
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new ArchiveDamagedError(m.file, PLAN_MEMBER, `not JSON: ${(e as Error).message}`);
  }
  const parsed = ArchivePlanSchema.safeParse(doc);
  if (!parsed.success) throw new ArchiveDamagedError(m.file, PLAN_MEMBER, `not an image-set plan of this airlock version (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`);
  return parsed.data;
}

export async function runD2m(x: MirrorExecutor, set: ArchiveSet, plan: ArchivePlan, o: D2mInput, counter: OriginCounter): Promise<M2mResult> {
  const started = new Date();
  const t0 = Date.now();
  const c = x.console;
  const work = join(o.from, 'working-dir');
  const { host } = splitRegistryDest(o.dest);
  const flag = `docker://${o.dest}`;
  const { copies, mirrored, info, signatures } = planForDestination(plan, o.dest, o.maxNestedPaths);
  const deepest = copies.reduce((best, k) => {
    const p = k.item.targets[0]!.ref.transport === 'docker' ? (k.item.targets[0]!.ref as { name: { repository: string } }).name.repository : best;
    return p.split('/').length > best.split('/').length ? p : best;
  }, [...splitRegistryDest(o.dest).prefix, 'openshift', 'release-images'].join('/'));
  await checkDestination(x.registries.client(host, 'destination'), deepest, flag);
  const tCheck = Date.now();
  if (plan.config !== o.config.file) c.message(`info: the set was packed from ${plan.config} (its copy is the member ${plan.configMember}); running with ${o.config.file}`);
  // platform.graph: the packed graph-data image is one more copy (a release image: its failure is a release failure).
  const graph = plan.graph ? graphCopy(plan.graph, o.dest, o.maxNestedPaths) : undefined;
  // Images the set left out (the far side has their manifests): checked at the destination before anything is pushed.
  const { engine, there } = splitCopies(set.index, copies);
  const parallel = 8;
  await checkThere(x.registries, host, there, flag, parallel);
  if (!o.dryRun && o.carried !== undefined && !(await o.carried.claim(work, o.dest))) c.message(`info: the set was pushed to ${flag} before: every blob is checked there first, and only missing ones are sent`);
  if (there.length > 0) c.message(`info: ${there.length} image(s) of the set were left out of the archive as already delivered; all ${new Set(there.map((t) => `${t.repository}@${t.digest}`)).size} of their manifests are at ${flag}`);
  const items = [...engine.map((k) => k.item), ...(graph ? [graph] : [])];
  counter.setItems(items);
  c.message(`info: ${plan.releases.length} release(s), ${plan.catalogs.length} catalog(s), ${engine.length} images to push from ${set.dir} to ${flag}`);
  const failed: FailedImage[] = plan.failed.map((f) => ({ ...f, why: `not in the archive set: ${f.why} (at mirror to disk)` }));
  const result = await x.execute(makePlan(items, { dryRun: o.dryRun, skipMissing: false, continueOnError: true, attachments: !o.removeSignatures }), {
    onImage: (im) => { if (!o.dryRun) c.out(`${im.digest} ${im.destination}\n`); },
  });
  const retagErrors = o.dryRun ? [] : await writeRetags(x.registries, host, there, parallel);
  const badRetag = new Set(retagErrors.map((e) => e.copy));
  if (!o.dryRun) for (const t of there) if (!badRetag.has(t)) c.out(`${t.digest} ${destinationName(t.copy.item.targets[0]!.ref, t.tag)}\n`);
  const tCopy = Date.now();
  const byLabel = new Map(copies.map((k) => [label(k.item), k]));
  const bad = new Set<number>();
  for (const e of retagErrors) {
    bad.add(e.copy.copy.of);
    failed.push({ image: label(e.copy.copy.item), kind: kindOf(e.copy.copy.item), why: e.message });
    c.message(`error: ${label(e.copy.copy.item)}: ${e.message}`);
  }
  for (const e of result.errors) {
    const k = byLabel.get(e.source);
    if (k !== undefined) bad.add(k.of);
    const isGraph = graph !== undefined && e.source === label(graph);
    failed.push({ image: e.source, kind: k ? kindOf(k.item) : isGraph ? 'release' : 'additional', why: e.message });
    c.message(`error: ${e.source}: ${e.message}`);
  }
  const ok = mirrored.filter((_, n) => !bad.has(n));
  const resources = clusterResources({ items: ok, catalogs: info.catalogs, maxNestedPaths: o.maxNestedPaths, signatures, annotations: o.annotations });
  const graphFailed = graph !== undefined && result.errors.some((e) => e.source === label(graph));
  if (plan.graph && !graphFailed) resources.set(...graphResource(plan.graph, o.dest, o.maxNestedPaths, o.annotations));
  const samples = plan.samples ? samplesResource(plan.samples, o.dest, new Set([...bad].map((n) => plan.items[n]!.source)), o.annotations) : undefined;
  if (samples) resources.set(samples.file, samples.text);
  const files = new Map<string, string>(o.dryRun ? [] : [...resources].map(([k, v]) => [`cluster-resources/${k}`, v]));
  const exitCode = exitBits(failed);
  const report = buildReport({
    workflow: 'diskToMirror', config: o.config.file, destination: flag, dryRun: o.dryRun, started, items: ok, info, failed, bytes: counter.bytes, stats: x.report.stats,
    timings: { checkMs: tCheck - t0, copyMs: tCopy - tCheck, totalMs: Date.now() - t0 }, exitCode,
  });
  files.set('report.json', `${JSON.stringify(report, null, 2)}\n`);
  // The resources are those of THIS destination: an earlier d2m's (another registry, other names) go.
  if (!o.dryRun) await rm(join(work, 'cluster-resources'), { recursive: true, force: true });
  await writeFiles(work, files);
  const b = counter.bytes;
  const total = IMAGE_KINDS.reduce((n, k) => n + b[k].transferred, 0);
  c.message(`info: ${o.dryRun ? 'would push' : 'pushed'} ${formatBytes(total)} (${total} bytes); already at the destination or mounted ${IMAGE_KINDS.reduce((n, k) => n + b[k].saved, 0)} bytes`);
  c.message(`info: cluster resources in ${join(work, 'cluster-resources')}; report in ${join(work, 'report.json')}`);
  if (samples && !o.dryRun) c.message(`info: samples: skippedImagestreams ${samples.skipped.length === 0 ? '(none)' : samples.skipped.join(', ')}`);
  return { exitCode, reportFile: join(work, 'report.json') };
}
