/**
 * Shared set-up for the archive tests: the fixture images pushed into a
 * loopback airlock registry (the "connected side"), and m2d / d2m runs driven
 * through the copy engine (copyImage with ArchiveDestination, pushArchiveSet).
 */
import { makeFixtures, type FixtureImage, type FixtureSet } from '../../fixtures/make-fixtures.js';
import { createCopyContext } from '../../../src/copy/copy-context.js';
import { copyImage } from '../../../src/copy/copy-image.js';
import type { BlobAction } from '../../../src/copy/events.js';
import { pushArchiveSet, type ArchivePushResult } from '../../../src/copy/archive-push.js';
import { ArchiveDestination } from '../../../src/transports/archive/archive-destination.js';
import { ArchiveSet } from '../../../src/transports/archive/archive-reader.js';
import { ArchiveWriter } from '../../../src/transports/archive/archive-writer.js';
import type { ArchiveIndex } from '../../../src/transports/archive/format.js';
import type { BlobSkipSet } from '../../../src/transports/archive/skip-set.js';
import { OciLayout } from '../../../src/transports/oci-layout/layout.js';
import { OciLayoutSource } from '../../../src/transports/oci-layout/layout-image.js';
import { RegistryHub } from '../../../src/transports/registry/registry-hub.js';

/** The images the archive tests carry: two lists (OCI index of 4, Docker list of 2), singles, one tagless. */
export const CARRIED = ['multi-v1', 'dockerlist-v1', 'docker-v1', 'small-00-v1', 'tagless-v1'];

export interface Carried {
  readonly fx: FixtureSet;
  readonly images: FixtureImage[];
}

/** Makes the fixtures and pushes `refs` into the registry at `hostPort` (repositories as the fixtures suggest). */
export async function seedRegistry(fixturesDir: string, hostPort: string, refs: readonly string[]): Promise<Carried> {
  const fx = await makeFixtures(fixturesDir, { smallCount: 2 });
  const images = refs.map((r) => fx.images.find((i) => i.ref === r)!);
  const hub = new RegistryHub({ insecure: () => true });
  const src = new OciLayoutSource(await OciLayout.open(fx.layout, { create: false }));
  const ctx = createCopyContext();
  for (const img of fx.images.filter((i) => i.ref !== 'big-v1')) {
    await copyImage(ctx, src, img.ref, [{ dst: hub.destination({ registry: hostPort, repository: img.repo }), tag: img.tag ?? undefined }]);
  }
  await hub.close();
  return { fx, images };
}

export interface PackResult {
  readonly index: ArchiveIndex;
  readonly warnings: string[];
  readonly blobActions: Map<string, BlobAction>;
}

/** m2d: `images` from the registry at `hostPort` into an archive set in `dir`. */
export async function packImages(hostPort: string, images: readonly FixtureImage[], dir: string, o: { archiveSize: number; skip?: BlobSkipSet }): Promise<PackResult> {
  const warnings: string[] = [];
  const blobActions = new Map<string, BlobAction>();
  const writer = await ArchiveWriter.create({ dir, archiveSize: o.archiveSize, skip: o.skip, onWarning: (m) => warnings.push(m) });
  const hub = new RegistryHub({ insecure: () => true });
  const ctx = createCopyContext({ emit: (e) => (e.type === 'blob' ? blobActions.set(e.digest, e.action) : undefined) });
  let dst: ArchiveDestination | undefined;
  try {
    for (const img of images) {
      dst = new ArchiveDestination(writer, img.repo);
      await copyImage(ctx, hub.source({ registry: hostPort, repository: img.repo }), img.tag ?? img.digest, [{ dst, tag: img.tag ?? undefined }]);
    }
    await dst!.commit();
    const index = await writer.commit();
    return { index, warnings, blobActions };
  } catch (e) {
    await writer.abort();
    throw e;
  } finally {
    await hub.close();
  }
}

/** d2m: the archive set in `dir` into `hostPort/prefix/...`. */
export async function pushSet(dir: string, hostPort: string, prefix: string): Promise<ArchivePushResult & { actions: BlobAction[] }> {
  const set = await ArchiveSet.open(dir);
  const hub = new RegistryHub({ insecure: () => true });
  const actions: BlobAction[] = [];
  try {
    const copy = createCopyContext({ retry: { times: 1, delayMs: 10, maxDelayMs: 20, maxRetryAfterMs: 20 }, emit: (e) => (e.type === 'blob' ? actions.push(e.action) : undefined) });
    return { ...(await pushArchiveSet(set, { registry: hostPort, prefix }, { copy, registries: hub, continueOnError: true })), actions };
  } finally {
    await hub.close();
  }
}
