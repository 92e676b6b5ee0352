/**
 * `--report-to-registry`: the run's report (counts, bytes, duration,
 * missing and failed images) sent to `POST /api/v1/mirror-runs` of each
 * registry the run pushed into, with the run's own destination credentials
 * and a token scoped to push on the repositories it names (docs/api.md,
 * "Mirror runs"). Lists are capped so the document stays small; counts stay
 * exact. A refused or failed send is a warning: the images are mirrored.
 */
import { registryNameOf } from '../transports/all.js';
import type { RegistryHub } from '../transports/registry/registry-hub.js';
import type { MirrorRunReport } from '../metadata/run-log.js';
import type { MirrorResult } from '../copy/mirror.js';
import type { MirrorStats } from '../copy/mirror-report.js';
import type { MirrorPlan } from './plan.js';

const LIST_MAX = 200;
const REPOS_MAX = 100;

export interface RunFacts {
  readonly command: string;
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly plan: MirrorPlan;
  readonly result: MirrorResult;
  readonly stats: MirrorStats;
}

/** One report per destination registry (host[:port]) the plan pushes into; none for disk-only runs. */
export function runReports(f: RunFacts): Map<string, MirrorRunReport> {
  const repos = new Map<string, Set<string>>();
  for (const item of f.plan.items) {
    for (const t of item.targets) {
      const r = registryNameOf(t.ref);
      if (!r) continue;
      const set = repos.get(r.registry) ?? new Set<string>();
      set.add(r.repository);
      repos.set(r.registry, set);
    }
  }
  const out = new Map<string, MirrorRunReport>();
  for (const [registry, set] of repos) {
    out.set(registry, {
      command: f.command,
      startedAt: f.startedAt,
      finishedAt: f.finishedAt,
      dryRun: f.plan.options.dryRun,
      repositories: [...set].sort().slice(0, REPOS_MAX),
      images: f.result.images.length,
      bytes: f.stats.bytesTransferred,
      blobsTransferred: f.stats.blobs.uploaded,
      blobsMounted: f.stats.blobs.mounted,
      blobsPresent: f.stats.blobs.exists + f.stats.blobs.deduped,
      missingCount: f.result.missing.length,
      missing: f.result.missing.slice(0, LIST_MAX).map((m) => m.slice(0, 1000)),
      failedCount: f.result.errors.length,
      failed: f.result.errors.slice(0, LIST_MAX).map((e) => ({ image: e.source.slice(0, 1000), error: e.message.slice(0, 2000) })),
    });
  }
  return out;
}

/** Sends one report; resolves to the run's id there, or rejects with one line saying why. */
export async function sendRunReport(hub: RegistryHub, registry: string, report: MirrorRunReport): Promise<number> {
  const res = await hub.client(registry, 'destination').http.send({
    method: 'POST',
    path: '/api/v1/mirror-runs',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: Buffer.from(JSON.stringify(report)),
    scope: report.repositories.map((repository) => ({ repository, actions: ['pull', 'push'] as const })),
  });
  const text = await res.body.text();
  if (res.statusCode === 201) {
    const id = (JSON.parse(text) as { id?: unknown }).id;
    if (typeof id === 'number') return id;
  }
  let why = `HTTP ${res.statusCode}`;
  try {
    const m = (JSON.parse(text) as { errors?: { message?: string }[] }).errors?.[0]?.message;
    if (m) why += `: ${m.slice(0, 300)}`;
  } catch {
    // not JSON: the status says enough
  }
  if (res.statusCode === 404) why += ' (not an airlock registry, or one without the JSON API)';
  throw new Error(why);
}

/** Sends every report, one line per registry through `say` (info on success, warning otherwise). */
export async function reportToRegistries(hub: RegistryHub, f: RunFacts, say: (line: string) => void): Promise<void> {
  const reports = runReports(f);
  if (reports.size === 0) say('warning: --report-to-registry: the run pushed into no registry; nothing sent');
  for (const [registry, report] of reports) {
    try {
      const id = await sendRunReport(hub, registry, report);
      say(`info: run report sent to ${registry} (run ${id})`);
    } catch (e) {
      say(`warning: --report-to-registry: ${registry} refused the run report: ${(e as Error).message}`);
    }
  }
}
