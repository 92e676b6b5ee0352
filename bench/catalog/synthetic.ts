/**
 * The synthetic operator catalog of bench:catalog, parameterised by bundle
 * and related-image counts. Packages `pkg-<p>` hold 5 bundles each (one
 * `stable` channel, a `replaces` chain). Related image i belongs to bundle
 * i mod bundles and lives by digest in the nested repository
 * `bench/team-<p mod 10>/pkg-<p>/operand-<p>-<j>` (j = i div bundles; the
 * last path component is unique, so skopeo sync's names do not collide);
 * every bundle image is `bench/bundles/pkg-<p>/bundle-<p>` by digest.
 * Each image is one of 4 shared base layers (16 KiB) plus a tiny own layer
 * and config (`sizes` makes them larger, for bench:imageset). With `push: false` (the plan-only catalog) nothing but the
 * index is pushed and the digests name images that do not exist.
 */
import { digestOf } from '../../src/oci/digest.js';
import { buildLayer, withParents, type BuiltLayer } from '../../src/release/tar-build.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { bundleDoc, bundleName, channelDoc, pkgDoc, type Doc, type EntrySpec } from '../../test/fixtures/catalog/fbc-docs.js';
import { pushIndexImage } from '../../test/fixtures/catalog/index-image.js';
import { pushImage, seeded } from '../../test/fixtures/release-fixture-images.js';
import { mapLimit } from './map-limit.js';

export const BUNDLES_PER_PACKAGE = 5;
const BASES = 4;

export interface BenchImage {
  repo: string;
  digest: string;
}

export interface BenchCatalog {
  /** `host:port/repo:tag` of the index image */
  indexRef: string;
  indexRepo: string;
  indexTag: string;
  indexDigest: string;
  bundles: number;
  /** bundle images, then related images (every image the catalog names) */
  images: BenchImage[];
}

export interface CatalogSpec {
  registry: string;
  /** repository prefix of the index (`<name>/index:v1`) */
  name: string;
  bundles: number;
  images: number;
  push: boolean;
  /**
   * Layer sizes in bytes (default: 16 KiB bases, a one-line own layer): each
   * of the 4 shared bases, each related image's own layer (random, so it
   * does not compress) and each bundle image's own layer.
   */
  sizes?: { base: number; operand: number; bundle: number };
}

interface Planned {
  repo: string;
  seed: string;
  base: number;
  bundle: number;
}

const pkgOf = (bundle: number): number => Math.floor(bundle / BUNDLES_PER_PACKAGE);
const versionOf = (bundle: number): string => `1.${bundle % BUNDLES_PER_PACKAGE}.0`;

function plan(spec: CatalogSpec): Planned[] {
  const out: Planned[] = [];
  for (let b = 0; b < spec.bundles; b++) out.push({ repo: `bench/bundles/pkg-${pkgOf(b)}/bundle-${pkgOf(b)}`, seed: `${spec.name} bundle ${b}`, base: pkgOf(b) % BASES, bundle: b });
  for (let i = 0; i < spec.images; i++) {
    const b = i % spec.bundles;
    const p = pkgOf(b);
    out.push({ repo: `bench/team-${p % 10}/pkg-${p}/operand-${p}-${Math.floor(i / spec.bundles)}`, seed: `${spec.name} image ${i}`, base: p % BASES, bundle: b });
  }
  return out;
}

async function pushAll(hub: RegistryHub, registry: string, planned: readonly Planned[], bundles: number, sizes: CatalogSpec['sizes']): Promise<string[]> {
  const bases: BuiltLayer[] = [];
  for (let k = 0; k < BASES; k++) bases.push(await buildLayer(withParents([{ path: `usr/lib/base-${k}/blob`, data: seeded(`base ${k}`, sizes?.base ?? 16384) }])));
  return mapLimit(planned, 16, async (p, k) => {
    const size = sizes === undefined ? 0 : k < bundles ? sizes.bundle : sizes.operand;
    const data = size > 0 ? seeded(p.seed, size) : `${p.seed}\n`;
    const own = await buildLayer(withParents([{ path: `opt/bench/${p.seed.replace(/[^a-z0-9]+/g, '-')}`, data }]));
    const m = await pushImage(hub.destination({ registry, repository: p.repo }), [bases[p.base]!, own], { architecture: 'amd64', os: 'linux', config: { Labels: { bench: p.seed } } });
    return m.digest;
  });
}

function fbcFiles(spec: CatalogSpec, planned: readonly Planned[], digests: readonly string[], registry: string): Map<string, string> {
  const byBundle = new Map<number, { name: string; image: string }[]>();
  const bundleImage = new Map<number, string>();
  planned.forEach((p, k) => {
    const ref = `${registry}/${p.repo}@${digests[k]!}`;
    if (k < spec.bundles) bundleImage.set(p.bundle, ref);
    else (byBundle.get(p.bundle) ?? byBundle.set(p.bundle, []).get(p.bundle)!).push({ name: `operand-${byBundle.get(p.bundle)!.length}`, image: ref });
  });
  const files = new Map<string, string>();
  for (let p = 0; p * BUNDLES_PER_PACKAGE < spec.bundles; p++) {
    const pkg = `pkg-${p}`;
    const members = Array.from({ length: BUNDLES_PER_PACKAGE }, (_, k) => p * BUNDLES_PER_PACKAGE + k).filter((b) => b < spec.bundles);
    const entries: EntrySpec[] = members.map((b, k) => ({ name: bundleName(pkg, versionOf(b)), ...(k > 0 ? { replaces: bundleName(pkg, versionOf(b - 1)) } : {}) }));
    const docs: Doc[] = [pkgDoc(pkg, 'stable'), channelDoc(pkg, 'stable', entries)];
    for (const b of members) {
      const image = bundleImage.get(b)!;
      docs.push(bundleDoc({ pkg, version: versionOf(b), image, related: [{ name: '', image }, ...(byBundle.get(b) ?? [])], provides: [[`${pkg}.example.com`, 'v1', `Kind${p}`]] }));
    }
    files.set(`${pkg}/catalog.json`, docs.map((d) => JSON.stringify(d)).join('\n'));
  }
  return files;
}

/** Builds (and with `push`, pushes) the images, then the index image `<registry>/<name>/index:v1`. */
export async function makeBenchCatalog(spec: CatalogSpec): Promise<BenchCatalog> {
  const hub = new RegistryHub({ insecure: () => true, connections: 16 });
  try {
    const planned = plan(spec);
    const digests = spec.push ? await pushAll(hub, spec.registry, planned, spec.bundles, spec.sizes) : planned.map((p) => digestOf(`never pushed: ${p.seed}`));
    const indexRepo = `${spec.name}/index`;
    const indexTag = 'v1';
    const m = await pushIndexImage(hub.destination({ registry: spec.registry, repository: indexRepo }), { kind: 'fbc', files: fbcFiles(spec, planned, digests, spec.registry) }, { tag: indexTag });
    return {
      indexRef: `${spec.registry}/${indexRepo}:${indexTag}`,
      indexRepo,
      indexTag,
      indexDigest: m.digest,
      bundles: spec.bundles,
      images: planned.map((p, k) => ({ repo: p.repo, digest: digests[k]! })),
    };
  } finally {
    await hub.close();
  }
}
