/**
 * The listing of a catalog that `airlock catalog list` prints and the JSON
 * API's catalog view answers: packages by name with their default channel
 * and deprecation, each channel with its single head (graph.ts) or the
 * one-line reason it has none, and its versions ascending.
 */
import { CatalogError } from './errors.js';
import { byVersion, channelHead } from './graph.js';
import { CatalogIndex, type Catalog } from './model.js';

export interface ChannelSummary {
  name: string;
  head: string | null;
  headVersion: string | null;
  /** Set when the channel has no single head. */
  error?: string;
  versions: string[];
  deprecated?: string;
}

export interface PackageSummary {
  name: string;
  defaultChannel: string | null;
  deprecated?: string;
  channels: ChannelSummary[];
  deprecatedBundles: { bundle: string; message: string }[];
}

/** The listing of `c` (packages and channels by name; versions ascending). */
export function summarize(c: Catalog, only: readonly string[] = []): PackageSummary[] {
  const idx = new CatalogIndex(c);
  const names = c.packages.map((p) => p.name).filter((n) => only.length === 0 || only.includes(n)).sort();
  for (const n of only) if (!idx.packages.has(n)) throw new CatalogError(`package ${n} is not in the catalog`);
  return names.map((name) => {
    const pkg = idx.packages.get(name)!;
    const dep = c.deprecations.find((d) => d.package === name)?.entries ?? [];
    const channels = [...idx.channels(name)]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((ch): ChannelSummary => {
        const versions = byVersion(idx, name, ch.entries.map((e) => e.name)).map((n) => idx.bundle(name, n)?.version ?? n);
        const deprecated = dep.find((d) => d.reference.schema === 'olm.channel' && d.reference.name === ch.name)?.message;
        try {
          const head = channelHead(idx, ch);
          return { name: ch.name, head, headVersion: idx.bundle(name, head)?.version ?? null, versions, ...(deprecated ? { deprecated } : {}) };
        } catch (e) {
          return { name: ch.name, head: null, headVersion: null, error: (e as Error).message, versions, ...(deprecated ? { deprecated } : {}) };
        }
      });
    const pkgDep = dep.find((d) => d.reference.schema === 'olm.package')?.message;
    return {
      name,
      defaultChannel: pkg.defaultChannel ?? null,
      ...(pkgDep ? { deprecated: pkgDep } : {}),
      channels,
      deprecatedBundles: dep.filter((d) => d.reference.schema === 'olm.bundle').map((d) => ({ bundle: d.reference.name!, message: d.message })),
    };
  });
}
