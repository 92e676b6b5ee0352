/**
 * Mirror sets: which mirror repositories stand in for which source — the
 * content of ImageContentSourcePolicy, ImageDigestMirrorSet and
 * ImageTagMirrorSet objects and of the install-config snippet — and their
 * exact YAML (sigs.k8s.io/yaml: keys sorted, `- ` sequences at the parent's
 * indentation). Sources are deduplicated and sorted, so output is
 * deterministic where oc's follows Go map order.
 */
import { yamlScalar } from './yaml.js';

export interface MirrorSet {
  readonly source: string;
  readonly mirrors: readonly string[];
}

/** `repository`: entries per repository; `registry`: per registry host (oc's --icsp-scope/--idms-scope). */
export type MirrorScope = 'repository' | 'registry';

/** One entry per source (sorted), each with every mirror repository (deduplicated, in order): release mirror's shape. */
export function mirrorSets(sources: Iterable<string>, mirrors: readonly string[]): MirrorSet[] {
  const ms = [...new Set(mirrors)];
  return [...new Set(sources)].sort().map((source) => ({ source, mirrors: ms }));
}

/** The registry host of `host[:port]/repo…`. */
function registryOf(repository: string): string {
  const slash = repository.indexOf('/');
  return slash < 0 ? repository : repository.slice(0, slash);
}

/**
 * Mirror sets from (source repository, mirror repository) pairs, as a
 * catalog's mappings give them: one entry per source (sorted), its mirrors
 * deduplicated and sorted. With `registry` scope both sides are cut to
 * their registry host (`docker.io` → `quay.io`).
 */
export function mirrorSetsFromPairs(pairs: Iterable<{ readonly source: string; readonly mirror: string }>, scope: MirrorScope = 'repository'): MirrorSet[] {
  const by = new Map<string, Set<string>>();
  for (const p of pairs) {
    const source = scope === 'registry' ? registryOf(p.source) : p.source;
    const mirror = scope === 'registry' ? registryOf(p.mirror) : p.mirror;
    let set = by.get(source);
    if (set === undefined) by.set(source, (set = new Set()));
    set.add(mirror);
  }
  return [...by.keys()].sort().map((source) => ({ source, mirrors: [...by.get(source)!].sort() }));
}

/** The `- mirrors: … source: …` sequence at `indent`. */
export function mirrorSetEntries(sets: readonly MirrorSet[], indent: string): string {
  return sets.map((m) => `${indent}- mirrors:\n${m.mirrors.map((x) => `${indent}  - ${yamlScalar(x)}\n`).join('')}${indent}  source: ${yamlScalar(m.source)}\n`).join('');
}
