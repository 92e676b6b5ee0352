/**
 * The dry-run plan in oc image mirror's shape (registry → repository →
 * blobs and manifests, a stats line per registry), plus what oc does not
 * say: which blobs would be mounted (and from where) or are already there,
 * and which manifests get a new digest because --filter-by-os rewrote them.
 *
 *   127.0.0.1:5000/
 *     ocp4/release
 *       blobs:
 *         quay.io/ocp/art sha256:… 1.376KiB
 *         quay.io/ocp/art sha256:… 30.82MiB (mount from ocp4/other)
 *       manifests:
 *         sha256:…
 *         sha256:… -> 4.12.0-x86_64 (filtered by --filter-by-os: source sha256:…)
 *     stats: shared=0 unique=2 size=30.83MiB ratio=1.00
 */
import type { BlobAction } from './events.js';

export interface PlannedBlob {
  readonly src: string;
  readonly digest: string;
  readonly size: number;
  readonly action: Exclude<BlobAction, 'deduped'>;
  readonly from?: string;
}

export interface PlannedManifest {
  readonly digest: string;
  readonly tag?: string;
  readonly child: boolean;
  readonly rewrittenFrom?: string;
}

export interface RepoPlan {
  readonly blobs: PlannedBlob[];
  readonly manifests: PlannedManifest[];
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n}B` : `${v.toFixed(v >= 100 ? 1 : v >= 10 ? 2 : 3)}${units[u]}`;
}

/** Registry header and repository of a destination description, as oc groups them. */
function split(dst: string, fileDir: string): [string, string] {
  if (dst.startsWith('oci:')) return [dst, '.'];
  if (dst.startsWith('file://')) return [fileDir.replace(/\/+$/, ''), dst.slice('file://'.length)];
  const slash = dst.indexOf('/');
  return [dst.slice(0, slash), dst.slice(slash + 1)];
}

const annotation = (b: PlannedBlob): string => (b.action === 'mounted' ? ` (mount${b.from ? ` from ${b.from}` : ''})` : b.action === 'exists' ? ' (exists)' : '');

function repoLines(repo: string, p: RepoPlan): string[] {
  const lines = [`  ${repo}`];
  const bySource = new Map<string, PlannedBlob[]>();
  for (const b of p.blobs) bySource.set(b.src, [...(bySource.get(b.src) ?? []), b]);
  for (const [src, blobs] of [...bySource].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push('    blobs:');
    const sorted = [...blobs].sort((x, y) => x.size - y.size || x.digest.localeCompare(y.digest));
    for (const b of sorted) lines.push(`      ${src} ${b.digest} ${formatBytes(b.size)}${annotation(b)}`);
  }
  lines.push('    manifests:');
  const changed = (m: PlannedManifest): string => (m.rewrittenFrom ? ` (filtered by --filter-by-os: source ${m.rewrittenFrom}, new digest)` : '');
  const untagged = p.manifests.filter((m) => m.tag === undefined).sort((a, b) => a.digest.localeCompare(b.digest));
  const tagged = p.manifests.filter((m) => m.tag !== undefined).sort((a, b) => a.digest.localeCompare(b.digest) || a.tag!.localeCompare(b.tag!));
  for (const m of untagged) lines.push(`      ${m.digest}${changed(m)}`);
  for (const m of tagged) lines.push(`      ${m.digest} -> ${m.tag}${changed(m)}`);
  return lines;
}

/**
 * oc's per-registry stats over the blobs that would move (uploads and
 * mounts): `shared` blobs go to more than one repository of the registry,
 * `unique` to one; `ratio` = unique bytes / all bytes.
 */
function statsLine(repos: readonly RepoPlan[]): string {
  const uses = new Map<string, { size: number; repos: number }>();
  for (const p of repos) {
    const seen = new Set<string>();
    for (const b of p.blobs) {
      if (b.action === 'exists' || seen.has(b.digest)) continue;
      seen.add(b.digest);
      const u = uses.get(b.digest) ?? { size: b.size, repos: 0 };
      u.repos++;
      uses.set(b.digest, u);
    }
  }
  let shared = 0;
  let unique = 0;
  let uniqueSize = 0;
  let size = 0;
  for (const u of uses.values()) {
    size += u.size;
    if (u.repos > 1) shared++;
    else {
      unique++;
      uniqueSize += u.size;
    }
  }
  return `  stats: shared=${shared} unique=${unique} size=${formatBytes(size)}${size > 0 ? ` ratio=${(uniqueSize / size).toFixed(2)}` : ''}`;
}

/** The plan text for `plans` (destination description → repository plan). */
export function planText(plans: ReadonlyMap<string, RepoPlan>, fileDir: string): string {
  const byRegistry = new Map<string, [string, RepoPlan][]>();
  for (const [dst, p] of plans) {
    const [registry, repo] = split(dst, fileDir);
    byRegistry.set(registry, [...(byRegistry.get(registry) ?? []), [repo, p]]);
  }
  const lines: string[] = [];
  for (const [registry, repos] of [...byRegistry].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`${registry}/`);
    for (const [repo, p] of repos.sort(([a], [b]) => a.localeCompare(b))) lines.push(...repoLines(repo, p));
    lines.push(statsLine(repos.map(([, p]) => p)));
  }
  return lines.join('\n');
}
