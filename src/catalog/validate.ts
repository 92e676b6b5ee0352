/**
 * Catalog-wide checks done after reading (FBC or SQLite) and after
 * filtering: names unique, every channel, bundle and deprecation belongs to
 * a known package, channel entries name bundles of their package, and a
 * package's defaultChannel is one of its channels. Errors name the file
 * and line of the offending document.
 */
import { at, CatalogError } from './errors.js';
import { bundleKey, type Catalog } from './model.js';

export function validateCatalog(c: Catalog): void {
  const pkgs = new Map<string, string>();
  for (const p of c.packages) {
    const seen = pkgs.get(p.name);
    if (seen) throw new CatalogError(`${at(p.source)}: package "${p.name}" is declared twice (also at ${seen})`);
    pkgs.set(p.name, at(p.source));
  }
  const bundles = new Set<string>();
  for (const b of c.bundles) {
    if (!pkgs.has(b.package)) throw new CatalogError(`${at(b.source)}: bundle "${b.name}" belongs to package "${b.package}", which has no olm.package document`);
    const k = bundleKey(b.package, b.name);
    if (bundles.has(k)) throw new CatalogError(`${at(b.source)}: bundle "${b.name}" of package "${b.package}" is declared twice`);
    bundles.add(k);
  }
  const channels = new Set<string>();
  for (const ch of c.channels) {
    if (!pkgs.has(ch.package)) throw new CatalogError(`${at(ch.source)}: channel "${ch.name}" belongs to package "${ch.package}", which has no olm.package document`);
    const k = bundleKey(ch.package, ch.name);
    if (channels.has(k)) throw new CatalogError(`${at(ch.source)}: channel "${ch.name}" of package "${ch.package}" is declared twice`);
    channels.add(k);
    const names = new Set<string>();
    for (const e of ch.entries) {
      if (names.has(e.name)) throw new CatalogError(`${at(ch.source)}: package ${ch.package}, channel ${ch.name}: entry "${e.name}" appears twice`);
      names.add(e.name);
      if (!bundles.has(bundleKey(ch.package, e.name))) throw new CatalogError(`${at(ch.source)}: package ${ch.package}, channel ${ch.name}: entry "${e.name}" names no bundle of the package`);
    }
  }
  for (const p of c.packages) {
    if (p.defaultChannel !== undefined && !channels.has(bundleKey(p.name, p.defaultChannel))) {
      throw new CatalogError(`${at(p.source)}: package ${p.name}: defaultChannel "${p.defaultChannel}" is not one of its channels`);
    }
  }
  const deprecated = new Set<string>();
  for (const d of c.deprecations) {
    if (!pkgs.has(d.package)) throw new CatalogError(`${at(d.source)}: olm.deprecations for unknown package "${d.package}"`);
    if (deprecated.has(d.package)) throw new CatalogError(`${at(d.source)}: package ${d.package} has two olm.deprecations documents`);
    deprecated.add(d.package);
  }
}
