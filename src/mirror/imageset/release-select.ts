/**
 * Which releases of a channel's graph an ImageSetConfiguration channel
 * selects (reference §5.4):
 * - neither minVersion nor maxVersion (and not `full`): the channel head
 *   (its highest version) only;
 * - minVersion only: min → head; maxVersion only: the lowest version of the
 *   channel → max; both: that range (inclusive);
 * - `full: true`: every version of the channel (within min/max when given);
 * - `shortestPath: true`: only the versions on the shortest upgrade path
 *   (fewest edges, over unconditional edges) from min (default: the lowest)
 *   to max (default: the head); among equally short paths, the one through
 *   the higher versions.
 * Results are sorted by version; errors name the channel.
 */
import { compareSemver, isSemver, parseSemver } from '../../catalog/semver.js';
import { GraphError, type GraphNode, type ReleaseGraph } from './cincinnati.js';
import type { ReleaseChannel } from './config-types.js';

const cmp = (a: string, b: string): number => compareSemver(parseSemver(a), parseSemver(b));

export function selectReleases(g: ReleaseGraph, ch: Pick<ReleaseChannel, 'name' | 'minVersion' | 'maxVersion' | 'full' | 'shortestPath'>, arch: string): GraphNode[] {
  const nodes = g.nodes.map((n, i) => ({ ...n, i })).filter((n) => isSemver(n.version));
  if (nodes.length === 0) throw new GraphError(`channel ${ch.name} (${arch}) has no releases in the update graph`);
  nodes.sort((a, b) => cmp(a.version, b.version));
  const lowest = nodes[0]!.version;
  const head = nodes[nodes.length - 1]!.version;
  const strip = (n: { version: string; payload: string }): GraphNode => ({ version: n.version, payload: n.payload });
  if (ch.shortestPath) return shortestPath(g, nodes, ch.minVersion ?? lowest, ch.maxVersion ?? head, ch.name, arch).map(strip);
  if (ch.minVersion === undefined && ch.maxVersion === undefined && !ch.full) return [strip(nodes[nodes.length - 1]!)];
  const lo = ch.minVersion ?? lowest;
  const hi = ch.maxVersion ?? head;
  const kept = nodes.filter((n) => cmp(n.version, lo) >= 0 && cmp(n.version, hi) <= 0);
  if (kept.length === 0) throw new GraphError(`channel ${ch.name} (${arch}) has no release in ${lo}..${hi} (it has ${lowest} to ${head})`);
  return kept.map(strip);
}

function shortestPath(g: ReleaseGraph, nodes: readonly (GraphNode & { i: number })[], from: string, to: string, channel: string, arch: string): (GraphNode & { i: number })[] {
  const find = (v: string, what: string): GraphNode & { i: number } => {
    const n = nodes.find((x) => x.version === v);
    if (n === undefined) throw new GraphError(`channel ${channel} (${arch}): ${what} ${v} is not in the update graph (it has ${nodes.map((x) => x.version).join(', ')})`);
    return n;
  };
  const start = find(from, 'minVersion');
  const end = find(to, 'maxVersion');
  if (start.i === end.i) return [start];
  const byIndex = new Map(nodes.map((n) => [n.i, n]));
  const next = new Map<number, number[]>();
  for (const [a, b] of g.edges) next.set(a, [...(next.get(a) ?? []), b]);
  // Breadth first; neighbours visited highest version first, so ties resolve to the higher path.
  const prev = new Map<number, number>([[start.i, -1]]);
  let frontier = [start.i];
  while (frontier.length > 0 && !prev.has(end.i)) {
    const following: number[] = [];
    for (const a of frontier) {
      const outs = (next.get(a) ?? []).filter((b) => byIndex.has(b)).sort((x, y) => cmp(byIndex.get(y)!.version, byIndex.get(x)!.version));
      for (const b of outs) {
        if (prev.has(b)) continue;
        prev.set(b, a);
        following.push(b);
      }
    }
    frontier = following;
  }
  if (!prev.has(end.i)) throw new GraphError(`channel ${channel} (${arch}): no upgrade path from ${from} to ${to} in the update graph`);
  const path: (GraphNode & { i: number })[] = [];
  for (let k = end.i; k !== -1; k = prev.get(k)!) path.push(byIndex.get(k)!);
  return path.reverse();
}
