/**
 * What a cluster's mirror rules amount to on a node, in
 * containers-registries.conf(5) version 2 terms (the drop-in the Machine
 * Config Operator renders from IDMS/ITMS/ICSP), and how CRI-O (containers/image)
 * resolves a reference with it:
 * - one `[[registry]]` per source, `prefix` = `location` = the source;
 *   `blocked = true` when a rule says `mirrorSourcePolicy: NeverContactSource`
 *   (the source itself is never asked, its mirrors still are);
 * - one `[[registry.mirror]]` per mirror, in rule order, with
 *   `pull-from-mirror = "digest-only"` (IDMS, ICSP) or `"tag-only"` (ITMS),
 *   none ("all") when both kinds name the same mirror;
 * - resolution: the entry with the longest prefix matching the reference
 *   (the reference equals it or continues with `/`, `:` or `@`); its mirrors
 *   that apply to the pull (digest-only mirrors only for digest references,
 *   tag-only ones only for tags) in order, the prefix replaced by the
 *   mirror's location; the source last unless blocked.
 */
import type { MirrorRule } from './mirror-rules.js';

export type PullFromMirror = 'digest-only' | 'tag-only' | 'all';

export interface RegistryMirror {
  readonly location: string;
  pullFromMirror: PullFromMirror;
}

export interface RegistryEntry {
  readonly prefix: string;
  readonly location: string;
  blocked: boolean;
  readonly mirrors: RegistryMirror[];
}

export interface PullSource {
  /** The reference the node asks for (`Trying to access "…"`). */
  readonly reference: string;
  /** The mirror location, or undefined for the source itself. */
  readonly mirror?: string;
}

/** The registries.conf entries of the rules, sources in first-seen order. */
export function registryEntries(rules: readonly MirrorRule[]): RegistryEntry[] {
  const by = new Map<string, RegistryEntry>();
  for (const r of rules) {
    let e = by.get(r.source);
    if (e === undefined) by.set(r.source, (e = { prefix: r.source, location: r.source, blocked: false, mirrors: [] }));
    if (r.neverContactSource) e.blocked = true;
    const pull: PullFromMirror = r.kind === 'digest' ? 'digest-only' : 'tag-only';
    for (const m of r.mirrors) {
      const have = e.mirrors.find((x) => x.location === m);
      if (have === undefined) e.mirrors.push({ location: m, pullFromMirror: pull });
      else if (have.pullFromMirror !== pull) have.pullFromMirror = 'all';
    }
  }
  return [...by.values()];
}

const str = (s: string): string => JSON.stringify(s);

export interface RegistriesConfOptions {
  /** Mark every mirror `insecure = true` (plain http or unverified TLS). */
  readonly insecureMirrors?: boolean;
  /** Header comment lines (without `#`). */
  readonly header?: readonly string[];
}

/** The drop-in's text (TOML; no global keys, so it can sit in registries.conf.d/). */
export function registriesConfToml(entries: readonly RegistryEntry[], o: RegistriesConfOptions = {}): string {
  let s = (o.header ?? []).map((h) => `# ${h}\n`).join('');
  for (const e of entries) {
    s += `\n[[registry]]\n  prefix = ${str(e.prefix)}\n  location = ${str(e.location)}\n${e.blocked ? '  blocked = true\n' : ''}`;
    for (const m of e.mirrors) {
      s += `\n  [[registry.mirror]]\n    location = ${str(m.location)}\n${o.insecureMirrors ? '    insecure = true\n' : ''}${m.pullFromMirror !== 'all' ? `    pull-from-mirror = ${str(m.pullFromMirror)}\n` : ''}`;
    }
  }
  return s;
}

/** Whether `ref` falls under `prefix` (containers/image's refMatchesPrefix, no wildcards). */
export function refMatchesPrefix(ref: string, prefix: string): boolean {
  if (ref.length < prefix.length || !ref.startsWith(prefix)) return false;
  return ref.length === prefix.length || '/:@'.includes(ref[prefix.length]!);
}

/** Where a node pulls `ref` (`host/repo:tag` or `host/repo@sha256:…`) from, in order. */
export function pullSources(ref: string, entries: readonly RegistryEntry[]): PullSource[] {
  let best: RegistryEntry | undefined;
  for (const e of entries) if (refMatchesPrefix(ref, e.prefix) && (best === undefined || e.prefix.length > best.prefix.length)) best = e;
  if (best === undefined) return [{ reference: ref }];
  const byDigest = ref.includes('@');
  const rest = ref.slice(best.prefix.length);
  const out: PullSource[] = [];
  for (const m of best.mirrors) {
    if (m.pullFromMirror === 'digest-only' && !byDigest) continue;
    if (m.pullFromMirror === 'tag-only' && byDigest) continue;
    out.push({ reference: `${m.location}${rest}`, mirror: m.location });
  }
  if (!best.blocked) out.push({ reference: `${best.location}${rest}` });
  return out;
}
