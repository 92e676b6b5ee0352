/**
 * Filters a catalog with oc-mirror v2's semantics (reference §5.5):
 * - no packages: the head of every channel of every package; with
 *   `full: true`, the whole catalog;
 * - a package alone: the head of each of its channels (`full`: the whole
 *   channels); a package with channels: those channels only;
 * - `minVersion`/`maxVersion` (package or channel level, inclusive): the
 *   bundles in range, the channel's graph truncated to them;
 * - dependencies (`olm.package.required` within its versionRange,
 *   `olm.gvk.required`) are added unless `skipDependencies`: the highest
 *   matching bundle of the providing package's default channel (then its
 *   other channels by name), with the entries between it and what the
 *   channel already keeps so the channel keeps one head.
 * Errors name the package and the channel: an unknown package or channel, a
 * default channel filtered out without a new `defaultChannel`, a range that
 * leaves no bundle, several channel heads, an unsatisfiable dependency of a
 * named package (with no packages named, that one is a warning note: whole
 * catalogs often carry a few).
 */
import { CatalogError } from './errors.js';
import type { CatalogFilter, PackageFilter } from './filter-spec.js';
import { byVersion, channelGraph, channelHead, pathBetween } from './graph.js';
import { CatalogIndex, gvkString, type Catalog, type CatalogBundle, type CatalogChannel, type CatalogDeprecation, type CatalogPackage } from './model.js';
import { compareSemver, parseSemver, parseSemverRange, type Semver } from './semver.js';
import { validateCatalog } from './validate.js';

export interface FilterResult {
  readonly catalog: Catalog;
  /** What was added and why (dependencies), for the user. */
  readonly notes: readonly string[];
}

type Selection = Map<string, Map<string, Set<string>>>;

function inRange(v: Semver | undefined, min: Semver | undefined, max: Semver | undefined): boolean {
  if (v === undefined) return false;
  return (min === undefined || compareSemver(v, min) >= 0) && (max === undefined || compareSemver(v, max) <= 0);
}

function selectChannel(idx: CatalogIndex, ch: CatalogChannel, full: boolean, min?: string, max?: string): Set<string> {
  if (min === undefined && max === undefined) return full ? new Set(ch.entries.map((e) => e.name)) : new Set([channelHead(idx, ch)]);
  const lo = min === undefined ? undefined : parseSemver(min);
  const hi = max === undefined ? undefined : parseSemver(max);
  const kept = ch.entries.filter((e) => inRange(parseVersion(idx.bundle(ch.package, e.name)), lo, hi));
  const range = `${min ?? ''}..${max ?? ''}`;
  if (kept.length === 0) {
    const all = byVersion(idx, ch.package, ch.entries.map((e) => e.name)).map((n) => idx.bundle(ch.package, n)?.version ?? n);
    throw new CatalogError(`package ${ch.package}, channel ${ch.name}: no bundle in ${range} (the channel has ${all.join(', ') || 'no bundles'}), so the filter leaves no channel head`);
  }
  channelHead(idx, ch, kept, ` after keeping versions ${range}`);
  return new Set(kept.map((e) => e.name));
}

function parseVersion(b: CatalogBundle | undefined): Semver | undefined {
  return b?.version === undefined ? undefined : parseSemver(b.version);
}

function selectPackage(idx: CatalogIndex, pf: PackageFilter, full: boolean): Map<string, Set<string>> {
  const pkg = idx.packages.get(pf.name);
  if (pkg === undefined) throw new CatalogError(`package ${pf.name} is not in the catalog`);
  const out = new Map<string, Set<string>>();
  const wanted = pf.channels ?? idx.channels(pf.name).map((c) => ({ name: c.name }));
  const packageRange = pf.channels === undefined && (pf.minVersion !== undefined || pf.maxVersion !== undefined);
  for (const cf of wanted) {
    const ch = idx.channel(pf.name, cf.name);
    if (ch === undefined) {
      const have = idx.channels(pf.name).map((c) => c.name).sort();
      throw new CatalogError(`package ${pf.name}, channel ${cf.name}: no such channel (the package has ${have.join(', ') || 'none'})`);
    }
    const min = ('minVersion' in cf ? cf.minVersion : undefined) ?? pf.minVersion;
    const max = ('maxVersion' in cf ? cf.maxVersion : undefined) ?? pf.maxVersion;
    // A package-level range drops the channels it leaves empty; a channel-level one must keep something.
    if (packageRange && !ch.entries.some((e) => inRange(parseVersion(idx.bundle(pf.name, e.name)), min ? parseSemver(min) : undefined, max ? parseSemver(max) : undefined))) continue;
    out.set(ch.name, selectChannel(idx, ch, full, min, max));
  }
  if (out.size === 0) throw new CatalogError(`package ${pf.name}: no bundle of any channel in ${pf.minVersion ?? ''}..${pf.maxVersion ?? ''}, so the filter leaves no channel head`);
  return out;
}

/** The best bundle of `pkg` passing `test`: default channel first, then the others by name; the highest version wins. */
function provider(idx: CatalogIndex, pkg: CatalogPackage, test: (b: CatalogBundle) => boolean): { channel: CatalogChannel; entry: string } | undefined {
  const chans = [...idx.channels(pkg.name)].sort((a, b) => (a.name === pkg.defaultChannel ? -1 : b.name === pkg.defaultChannel ? 1 : a.name < b.name ? -1 : 1));
  for (const channel of chans) {
    const ok = channel.entries.filter((e) => {
      const b = idx.bundle(pkg.name, e.name);
      return b !== undefined && test(b);
    });
    if (ok.length > 0) return { channel, entry: byVersion(idx, pkg.name, ok.map((e) => e.name)).at(-1)! };
  }
  return undefined;
}

class Resolver {
  readonly notes: string[] = [];
  readonly defaults = new Map<string, string>();
  private readonly unsatisfied = new Set<string>();
  /** `strict`: an unsatisfiable dependency is an error (packages were named); otherwise a warning note. */
  constructor(
    readonly idx: CatalogIndex,
    readonly sel: Selection,
    readonly strict: boolean,
  ) {}

  /** Throws (strict) or records once as a warning a dependency no bundle satisfies. */
  private unsatisfiable(problem: string): void {
    if (this.strict) throw new CatalogError(`${problem} (use skipDependencies / --skip-dependencies to mirror without it)`);
    if (this.unsatisfied.has(problem)) return;
    this.unsatisfied.add(problem);
    this.notes.push(`warning: ${problem}`);
  }

  kept(): CatalogBundle[] {
    const out: CatalogBundle[] = [];
    for (const [pkg, chans] of [...this.sel].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const names = new Set<string>();
      for (const set of chans.values()) for (const n of set) names.add(n);
      for (const n of [...names].sort()) out.push(this.idx.bundle(pkg, n)!);
    }
    return out;
  }

  add(pkg: CatalogPackage, channel: CatalogChannel, entry: string, why: string): void {
    let chans = this.sel.get(pkg.name);
    if (chans === undefined) {
      chans = new Map();
      this.sel.set(pkg.name, chans);
      if (pkg.defaultChannel !== channel.name) this.defaults.set(pkg.name, channel.name);
    }
    const set = chans.get(channel.name);
    if (set === undefined) chans.set(channel.name, new Set([entry]));
    else {
      const g = channelGraph(this.idx, channel);
      const head = channelHead(this.idx, channel, channel.entries.filter((e) => set.has(e.name)));
      const path = pathBetween(g, head, entry) ?? pathBetween(g, entry, head);
      if (path === undefined) throw new CatalogError(`package ${pkg.name}, channel ${channel.name}: dependency ${entry} (${why}) is on no upgrade path to ${head}; it cannot be added without a second channel head`);
      for (const n of path) set.add(n);
    }
    this.notes.push(`added dependency ${pkg.name} ${entry} (channel ${channel.name}): ${why}`);
  }

  resolve(): void {
    for (let changed = true; changed; ) {
      changed = false;
      const kept = this.kept();
      for (const b of kept) {
        for (const req of b.requiredPackages) {
          const range = parseSemverRange(req.versionRange);
          const test = (x: CatalogBundle): boolean => x.package === req.packageName && parseVersion(x) !== undefined && range.test(parseVersion(x)!);
          if (kept.some(test)) continue;
          const why = `bundle ${b.name} of ${b.package} requires package ${req.packageName} ${req.versionRange}`;
          const pkg = this.idx.packages.get(req.packageName);
          const pick = pkg && provider(this.idx, pkg, test);
          if (!pkg || !pick) {
            this.unsatisfiable(`${why}, but no bundle of the catalog satisfies it`);
            continue;
          }
          this.add(pkg, pick.channel, pick.entry, why);
          changed = true;
          break;
        }
        if (changed) break;
        for (const gvk of b.requiredGvks) {
          const g = gvkString(gvk);
          const test = (x: CatalogBundle): boolean => x.providedGvks.some((p) => gvkString(p) === g);
          if (kept.some(test)) continue;
          const why = `bundle ${b.name} of ${b.package} requires API ${g}`;
          const pkgs = [...new Set(this.idx.catalog.bundles.filter(test).map((x) => x.package))].sort();
          let done = false;
          for (const name of pkgs) {
            const pick = provider(this.idx, this.idx.packages.get(name)!, test);
            if (pick) {
              this.add(this.idx.packages.get(name)!, pick.channel, pick.entry, why);
              done = true;
              break;
            }
          }
          if (!done) {
            this.unsatisfiable(`${why}, but no bundle of the catalog provides it`);
            continue;
          }
          changed = true;
          break;
        }
        if (changed) break;
      }
    }
  }
}

function defaultChannelOf(pkg: CatalogPackage, chans: ReadonlyMap<string, Set<string>>, pf: PackageFilter | undefined, forced: string | undefined): string | undefined {
  const kept = [...chans.keys()].sort();
  if (pf?.defaultChannel !== undefined) {
    if (!chans.has(pf.defaultChannel)) throw new CatalogError(`package ${pkg.name}: defaultChannel ${pf.defaultChannel} is not one of the selected channels (${kept.join(', ')})`);
    return pf.defaultChannel;
  }
  if (forced !== undefined) return forced;
  if (pkg.defaultChannel === undefined || chans.has(pkg.defaultChannel)) return pkg.defaultChannel;
  throw new CatalogError(`package ${pkg.name}: its default channel ${pkg.defaultChannel} is filtered out; set defaultChannel to one of the selected channels (${kept.join(', ')})`);
}

function deprecationsOf(d: CatalogDeprecation, chans: ReadonlyMap<string, Set<string>>): CatalogDeprecation | undefined {
  const bundles = new Set<string>();
  for (const s of chans.values()) for (const n of s) bundles.add(n);
  const entries = d.entries.filter((e) => e.reference.schema === 'olm.package' || (e.reference.schema === 'olm.channel' ? chans.has(e.reference.name!) : bundles.has(e.reference.name!)));
  if (entries.length === 0) return undefined;
  const rawEntries = ((d.raw.entries as unknown[]) ?? []).filter((_, i) => entries.includes(d.entries[i]!));
  return { ...d, entries, raw: { ...d.raw, entries: rawEntries } };
}

/** Applies `filter` to `catalog` (which is not changed). */
export function filterCatalog(catalog: Catalog, filter: CatalogFilter): FilterResult {
  const idx = new CatalogIndex(catalog);
  const full = filter.full === true;
  const pfs = filter.packages ?? [];
  if (pfs.length === 0 && full) return { catalog, notes: [] };
  const sel: Selection = new Map();
  if (pfs.length === 0) {
    for (const p of catalog.packages) sel.set(p.name, new Map(idx.channels(p.name).map((ch) => [ch.name, new Set([channelHead(idx, ch)])])));
  } else {
    for (const pf of pfs) sel.set(pf.name, selectPackage(idx, pf, full));
  }
  const r = new Resolver(idx, sel, pfs.length > 0);
  if (filter.skipDependencies !== true) r.resolve();

  const packages: CatalogPackage[] = [];
  const channels: CatalogChannel[] = [];
  const bundles: CatalogBundle[] = [];
  const deprecations: CatalogDeprecation[] = [];
  for (const pkg of catalog.packages) {
    const chans = sel.get(pkg.name);
    if (chans === undefined) continue;
    const def = defaultChannelOf(pkg, chans, pfs.find((p) => p.name === pkg.name), r.defaults.get(pkg.name));
    packages.push(def === pkg.defaultChannel ? pkg : { ...pkg, defaultChannel: def, raw: { ...pkg.raw, defaultChannel: def } });
    const names = new Set<string>();
    for (const ch of idx.channels(pkg.name)) {
      const keep = chans.get(ch.name);
      if (keep === undefined) continue;
      const entries = ch.entries.filter((e) => keep.has(e.name));
      channelHead(idx, ch, entries, ' in the filtered catalog');
      channels.push(entries.length === ch.entries.length ? ch : { ...ch, entries, raw: { ...ch.raw, entries: entries.map((e) => e.raw) } });
      for (const e of entries) names.add(e.name);
    }
    for (const b of idx.bundlesByPackage.get(pkg.name) ?? []) if (names.has(b.name)) bundles.push(b);
    const dep = catalog.deprecations.find((d) => d.package === pkg.name);
    const kept = dep && deprecationsOf(dep, chans);
    if (kept) deprecations.push(kept);
  }
  const others = catalog.others.filter((o) => o.package === undefined || sel.has(o.package));
  const out: Catalog = { packages, channels, bundles, deprecations, others };
  validateCatalog(out);
  return { catalog: out, notes: r.notes };
}
