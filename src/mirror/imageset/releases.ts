/**
 * The releases of an image set: every channel × architecture resolved on
 * the update graph (cincinnati.ts, release-select.ts), plus the `release:`
 * pin, each read by the release collector (collectors/release.ts) BY
 * DIGEST and named as oc-mirror v2 names them (naming.ts). Any failure here
 * is fatal: a release that cannot be planned ends the run.
 */
import { parseImageReference, type DockerReference } from '../../transports/all.js';
import type { CollectorContext } from '../collector.js';
import { ReleaseCollector, type ReleaseDestination, type ReleaseInfo } from '../collectors/release.js';
import type { PlanItem } from '../plan.js';
import type { CincinnatiClient } from './cincinnati.js';
import type { Architecture, PlatformSpec } from './config-types.js';
import { sparseSelection } from './additional-target.js';
import { destRepository, RELEASE_COMPONENTS_PATH, RELEASE_IMAGES_PATH } from './naming.js';
import { selectReleases } from './release-select.js';

export class ImageSetReleaseError extends Error {
  readonly code = 'ERR_IMAGESET_RELEASE';
}

export interface SelectedRelease {
  /** The channel (`stable-4.18`) or `release:` for the pin. */
  readonly channel: string;
  readonly architecture: Architecture;
  readonly version: string;
  /** The release image as the graph (or the pin) names it. */
  readonly image: string;
  readonly info: ReleaseInfo;
  readonly items: readonly PlanItem[];
}

function registryDest(text: string): ReleaseDestination {
  const ref = parseImageReference(text);
  if (ref.transport !== 'docker') throw new ImageSetReleaseError(`${text} is not a registry repository`);
  return ref as DockerReference & ReleaseDestination;
}

/** Reads one release image into items. */
async function collectRelease(image: string, arch: Architecture, dest: string, maxNestedPaths: number, ctx: CollectorContext): Promise<{ info: ReleaseInfo; items: readonly PlanItem[] }> {
  let from;
  try {
    from = parseImageReference(image);
  } catch (e) {
    throw new ImageSetReleaseError(`release image ${image}: ${(e as Error).message}`);
  }
  const c = new ReleaseCollector({
    from,
    to: registryDest(destRepository(dest, RELEASE_COMPONENTS_PATH, maxNestedPaths)),
    releaseRepository: registryDest(destRepository(dest, RELEASE_IMAGES_PATH, maxNestedPaths)),
    keepManifestList: arch === 'multi',
    filterByOs: arch === 'multi' ? undefined : `linux/${arch}`,
  });
  try {
    const r = await c.collect(ctx);
    return { info: r.info, items: r.items };
  } catch (e) {
    throw new ImageSetReleaseError(`release ${image}: ${(e as Error).message}`);
  }
}

/** Every selected release (deduplicated by release image), in channel, architecture and version order. */
export async function collectReleases(p: PlatformSpec, graph: CincinnatiClient, dest: string, maxNestedPaths: number, ctx: CollectorContext): Promise<SelectedRelease[]> {
  const out = await collectAll(p, graph, dest, maxNestedPaths, ctx);
  // platform.platforms: the multi-arch release lists are kept (same digests), only the chosen children copied.
  const sparse = sparseSelection(p.platforms);
  return sparse === undefined ? out : out.map((r) => ({ ...r, items: r.items.map((i) => ({ ...i, platforms: sparse })) }));
}

async function collectAll(p: PlatformSpec, graph: CincinnatiClient, dest: string, maxNestedPaths: number, ctx: CollectorContext): Promise<SelectedRelease[]> {
  const out: SelectedRelease[] = [];
  const seen = new Set<string>();
  for (const ch of p.channels) {
    for (const arch of p.architectures) {
      let nodes;
      try {
        nodes = selectReleases(await graph.graph(ch.type, ch.name, arch, ctx.signal), ch, arch);
      } catch (e) {
        throw new ImageSetReleaseError(`${ch.where}: ${(e as Error).message}`);
      }
      for (const n of nodes) {
        if (seen.has(`${n.payload}\u0000${arch}`)) continue;
        seen.add(`${n.payload}\u0000${arch}`);
        const r = await collectRelease(n.payload, arch, dest, maxNestedPaths, ctx);
        out.push({ channel: ch.name, architecture: arch, version: r.info.version, image: n.payload, ...r });
      }
    }
  }
  if (p.release !== undefined) {
    const arch = p.architectures[0]!;
    if (!seen.has(`${p.release.image}\u0000${arch}`)) {
      const r = await collectRelease(p.release.image, arch, dest, maxNestedPaths, ctx);
      out.push({ channel: 'release:', architecture: arch, version: r.info.version, image: p.release.image, ...r });
    }
  }
  return out;
}
