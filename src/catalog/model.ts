/**
 * The operator catalog model shared by the FBC and SQLite readers, the
 * filter and the FBC writer. It mirrors operator-registry's declarative
 * config (`olm.package`, `olm.channel`, `olm.bundle`, `olm.deprecations`;
 * every other schema is kept as an opaque document).
 *
 * Contract: a Catalog produced by a reader is validated (see validate.ts):
 * names unique per kind, every channel and bundle belongs to a known package,
 * every channel entry names a bundle of its package. `raw` holds the document
 * as read (FBC) or as reconstructed (SQLite); fbc-write.ts writes `raw`
 * with the model's changes applied, so fields the model ignores survive.
 */
import type { SourceLocation } from './errors.js';

export type RawDoc = Readonly<Record<string, unknown>>;

export interface CatalogPackage {
  readonly name: string;
  readonly defaultChannel?: string;
  readonly description?: string;
  readonly raw: RawDoc;
  readonly source: SourceLocation;
}

export interface ChannelEntry {
  /** Bundle name. */
  readonly name: string;
  readonly replaces?: string;
  readonly skips: readonly string[];
  readonly skipRange?: string;
  readonly raw: RawDoc;
}

export interface CatalogChannel {
  readonly name: string;
  readonly package: string;
  readonly entries: readonly ChannelEntry[];
  readonly raw: RawDoc;
  readonly source: SourceLocation;
}

export interface Gvk {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

export interface PackageRequirement {
  readonly packageName: string;
  readonly versionRange: string;
}

export interface RelatedImage {
  readonly name: string;
  readonly image: string;
}

export interface BundleProperty {
  readonly type: string;
  readonly value: unknown;
}

export interface CatalogBundle {
  readonly name: string;
  readonly package: string;
  /** The bundle image ('' when the catalog gives none). */
  readonly image: string;
  /** From the `olm.package` property (semver text), when present. */
  readonly version?: string;
  readonly properties: readonly BundleProperty[];
  readonly providedGvks: readonly Gvk[];
  readonly requiredGvks: readonly Gvk[];
  readonly requiredPackages: readonly PackageRequirement[];
  readonly relatedImages: readonly RelatedImage[];
  readonly raw: RawDoc;
  readonly source: SourceLocation;
}

export interface DeprecationEntry {
  readonly reference: { readonly schema: string; readonly name?: string };
  readonly message: string;
}

export interface CatalogDeprecation {
  readonly package: string;
  readonly entries: readonly DeprecationEntry[];
  readonly raw: RawDoc;
  readonly source: SourceLocation;
}

export interface OpaqueDoc {
  readonly schema: string;
  readonly package?: string;
  readonly raw: RawDoc;
  readonly source: SourceLocation;
}

export interface Catalog {
  readonly packages: readonly CatalogPackage[];
  readonly channels: readonly CatalogChannel[];
  readonly bundles: readonly CatalogBundle[];
  readonly deprecations: readonly CatalogDeprecation[];
  readonly others: readonly OpaqueDoc[];
}

export const gvkString = (g: Gvk): string => `${g.group}/${g.version}/${g.kind}`;

/** Lookups over a catalog (built once; the catalog is immutable). */
export class CatalogIndex {
  readonly packages = new Map<string, CatalogPackage>();
  readonly bundles = new Map<string, CatalogBundle>();
  readonly channelsByPackage = new Map<string, CatalogChannel[]>();
  readonly bundlesByPackage = new Map<string, CatalogBundle[]>();

  constructor(readonly catalog: Catalog) {
    for (const p of catalog.packages) this.packages.set(p.name, p);
    for (const b of catalog.bundles) {
      this.bundles.set(bundleKey(b.package, b.name), b);
      push(this.bundlesByPackage, b.package, b);
    }
    for (const c of catalog.channels) push(this.channelsByPackage, c.package, c);
  }

  bundle(pkg: string, name: string): CatalogBundle | undefined {
    return this.bundles.get(bundleKey(pkg, name));
  }

  channel(pkg: string, name: string): CatalogChannel | undefined {
    return this.channelsByPackage.get(pkg)?.find((c) => c.name === name);
  }

  channels(pkg: string): readonly CatalogChannel[] {
    return this.channelsByPackage.get(pkg) ?? [];
  }
}

export const bundleKey = (pkg: string, name: string): string => `${pkg}\u0000${name}`;

function push<T>(m: Map<string, T[]>, k: string, v: T): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
