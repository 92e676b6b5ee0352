/**
 * The images a catalog needs: every bundle `image` and every
 * `relatedImages[].image`, deduplicated by reference text, each remembered
 * with the bundles (and their packages) that need it, so a missing image can
 * be reported with who needs it. Sorted by reference.
 */
import type { Catalog } from './model.js';

export interface NeededBy {
  readonly package: string;
  readonly bundle: string;
  /** `bundle` (the bundle image itself) or the relatedImages entry's name ('' when unnamed). */
  readonly as: string;
}

export interface CatalogImage {
  readonly image: string;
  readonly neededBy: readonly NeededBy[];
}

export function relatedImages(c: Catalog): CatalogImage[] {
  const by = new Map<string, NeededBy[]>();
  const add = (image: string, n: NeededBy): void => {
    if (image === '') return;
    const list = by.get(image);
    if (list === undefined) by.set(image, [n]);
    else if (!list.some((x) => x.package === n.package && x.bundle === n.bundle && x.as === n.as)) list.push(n);
  };
  for (const b of c.bundles) {
    add(b.image, { package: b.package, bundle: b.name, as: 'bundle' });
    for (const r of b.relatedImages) add(r.image, { package: b.package, bundle: b.name, as: r.name });
  }
  return [...by.keys()].sort().map((image) => ({ image, neededBy: by.get(image)! }));
}
