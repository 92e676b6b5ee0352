/**
 * Helm's values for a render (chartutil.CoalesceValues and
 * ProcessDependencyEnabled), with no user overrides:
 * - a chart's defaults fill what the parent did not set (the parent wins,
 *   maps merged deeply; a parent `null` removes the key);
 * - each subchart (by alias, else name) gets its defaults under its key, and
 *   the parent's `global` is copied into its `global` (the parent wins);
 * - a dependency is dropped when the first of its `condition` paths that
 *   holds a bool is false, or, without one, when its `tags` are all false.
 */
import { deepCopy, hasOwn, isMap, setKey, type GoMap } from '../template/values.js';
import type { Chart, ChartDependency } from './load.js';

/** A subchart under its effective name (the dependency's alias). */
export interface ScopedChart {
  readonly chart: Chart;
  /** The key of its values in the parent's values (alias or name). */
  readonly name: string;
  readonly subcharts: readonly ScopedChart[];
}

/** dst wins; src fills; a nil in dst removes the key. */
function coalesceTables(dst: GoMap, src: GoMap): GoMap {
  for (const [k, sv] of Object.entries(src)) {
    if (!hasOwn(dst, k)) {
      setKey(dst, k, deepCopy(sv));
      continue;
    }
    const dv = dst[k];
    if (dv === null) delete dst[k];
    else if (isMap(dv) && isMap(sv)) coalesceTables(dv, sv);
  }
  return dst;
}

function coalesceGlobals(dest: GoMap, parent: GoMap): void {
  const pg = isMap(parent.global) ? parent.global : {};
  const dg: GoMap = isMap(dest.global) ? dest.global : {};
  for (const [k, v] of Object.entries(pg)) {
    if (isMap(v) && isMap(dg[k])) setKey(dg, k, coalesceTables(deepCopy(v), dg[k] as GoMap));
    else setKey(dg, k, deepCopy(v));
  }
  setKey(dest, 'global', dg);
}

function coalesce(c: ScopedChart, dest: GoMap): GoMap {
  coalesceTables(dest, c.chart.values);
  for (const s of c.subcharts) {
    if (!hasOwn(dest, s.name) || dest[s.name] === null) setKey(dest, s.name, {});
    const sub = dest[s.name];
    if (!isMap(sub)) continue;
    coalesceGlobals(sub, dest);
    coalesce(s, sub);
  }
  return dest;
}

export function coalesceValues(c: ScopedChart): GoMap {
  return coalesce(c, {});
}

function pathValue(v: GoMap, path: string): unknown {
  let cur: unknown = v;
  for (const p of path.split('.')) {
    if (!isMap(cur) || !hasOwn(cur, p)) return undefined;
    cur = cur[p];
  }
  return cur;
}

/** Whether `dep` is on with the top-level values `top`; `prefix` is its parent's values path (`sub.` …). */
export function enabled(dep: ChartDependency | undefined, top: GoMap, prefix: string): boolean {
  if (dep === undefined) return true;
  for (const c of (dep.condition ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '')) {
    const v = pathValue(top, prefix + c);
    if (typeof v === 'boolean') return v;
  }
  const tags = isMap(top.tags) ? top.tags : {};
  const set = dep.tags.map((t) => tags[t]).filter((t): t is boolean => typeof t === 'boolean');
  if (set.length === 0) return true;
  return set.some((t) => t);
}

/** The chart with its enabled subcharts, each under its alias; `dropped` collects the disabled ones (`parent/name`). */
export function enabledCharts(root: Chart, dropped: string[]): ScopedChart {
  const scope = (c: Chart, name: string): ScopedChart => ({
    chart: c,
    name,
    subcharts: c.subcharts.flatMap((s) => {
      const deps = c.metadata.dependencies.filter((d) => d.name === s.metadata.name);
      return deps.length === 0 ? [scope(s, s.metadata.name)] : deps.map((d) => scope(s, d.alias ?? d.name));
    }),
  });
  const all = scope(root, root.metadata.name);
  const top = coalesceValues(all);
  const prune = (c: ScopedChart, prefix: string, path: string): ScopedChart => ({
    ...c,
    subcharts: c.subcharts
      .filter((s) => {
        const dep = c.chart.metadata.dependencies.find((d) => (d.alias ?? d.name) === s.name);
        const on = enabled(dep, top, prefix);
        if (!on) dropped.push(`${path}/${s.name}`);
        return on;
      })
      .map((s) => prune(s, `${prefix}${s.name}.`, `${path}/${s.name}`)),
  });
  return prune(all, '', root.metadata.name);
}
