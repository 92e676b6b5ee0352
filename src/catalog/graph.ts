/**
 * A channel's upgrade graph: an entry E has an edge to each entry it
 * replaces, lists in `skips`, or whose bundle version its `skipRange`
 * matches (only entries present in the channel count). The channel head is
 * the one entry no other entry reaches; none or several is an error that
 * names the package and the channel.
 */
import { CatalogError } from './errors.js';
import type { CatalogChannel, CatalogIndex, ChannelEntry } from './model.js';
import { compareSemver, parseSemver, parseSemverRange, type Semver } from './semver.js';

export interface ChannelGraph {
  readonly channel: CatalogChannel;
  /** Entry name → the names it upgrades from (replaces, skips, skipRange). */
  readonly edges: ReadonlyMap<string, ReadonlySet<string>>;
  /** Entries no edge reaches, in channel order. */
  readonly heads: readonly string[];
}

/** Version of a channel entry's bundle, when it has one. */
export function entryVersion(idx: CatalogIndex, pkg: string, name: string): Semver | undefined {
  const v = idx.bundle(pkg, name)?.version;
  return v === undefined ? undefined : parseSemver(v);
}

export function channelGraph(idx: CatalogIndex, channel: CatalogChannel, entries: readonly ChannelEntry[] = channel.entries): ChannelGraph {
  const names = new Set(entries.map((e) => e.name));
  const versions = new Map<string, Semver>();
  for (const e of entries) {
    const v = entryVersion(idx, channel.package, e.name);
    if (v) versions.set(e.name, v);
  }
  const edges = new Map<string, Set<string>>();
  const reached = new Set<string>();
  for (const e of entries) {
    const out = new Set<string>();
    if (e.replaces && names.has(e.replaces)) out.add(e.replaces);
    for (const s of e.skips) if (names.has(s)) out.add(s);
    if (e.skipRange) {
      const r = parseSemverRange(e.skipRange);
      for (const [n, v] of versions) if (n !== e.name && r.test(v)) out.add(n);
    }
    out.delete(e.name);
    edges.set(e.name, out);
    for (const n of out) reached.add(n);
  }
  const heads = entries.map((e) => e.name).filter((n) => !reached.has(n));
  return { channel, edges, heads };
}

/** The single head of `entries` of `channel`; a CatalogError otherwise. */
export function channelHead(idx: CatalogIndex, channel: CatalogChannel, entries: readonly ChannelEntry[] = channel.entries, why = ''): string {
  const g = channelGraph(idx, channel, entries);
  const where = `package ${channel.package}, channel ${channel.name}`;
  if (entries.length === 0) throw new CatalogError(`${where}: no bundle left${why}, so the channel has no head`);
  if (g.heads.length === 0) throw new CatalogError(`${where}: no channel head (the upgrade edges form a cycle)`);
  if (g.heads.length > 1) {
    throw new CatalogError(`${where}: ${g.heads.length} channel heads (${[...g.heads].sort().join(', ')})${why}; the upgrade graph must end in one bundle`);
  }
  return g.heads[0]!;
}

/** Names of the entries reachable from `from` (itself included). */
export function reachable(g: ChannelGraph, from: string): Set<string> {
  const seen = new Set<string>([from]);
  const todo = [from];
  while (todo.length > 0) {
    for (const n of g.edges.get(todo.pop()!) ?? []) {
      if (!seen.has(n)) {
        seen.add(n);
        todo.push(n);
      }
    }
  }
  return seen;
}

/** Entries on some upgrade path from `head` down to `target` (both included), or undefined when head cannot reach it. */
export function pathBetween(g: ChannelGraph, head: string, target: string): Set<string> | undefined {
  const down = reachable(g, head);
  if (!down.has(target)) return undefined;
  const out = new Set<string>();
  for (const n of down) if (reachable(g, n).has(target)) out.add(n);
  return out;
}

/** Sorts entry names by bundle version (unversioned last, then by name). */
export function byVersion(idx: CatalogIndex, pkg: string, names: Iterable<string>): string[] {
  return [...names].sort((a, b) => {
    const va = entryVersion(idx, pkg, a);
    const vb = entryVersion(idx, pkg, b);
    if (va && vb) return compareSemver(va, vb) || (a < b ? -1 : a > b ? 1 : 0);
    if (va) return -1;
    if (vb) return 1;
    return a < b ? -1 : a > b ? 1 : 0;
  });
}
