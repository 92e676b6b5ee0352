/**
 * Shared set-up of the catalog mirror tests: the 22-package fixture's
 * related images pushed to a loopback airlock registry (all but the 2
 * never-pushed ones), the catalog as FBC and SQLite index images, and
 * checks on what a mirror registry holds.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parse as parseYaml, parseAllDocuments, stringify } from 'yaml';
import { ImageNotFoundError } from '../../src/transports/types.js';
import type { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { fixtureFbcFiles, makeCatalogFixture, type CatalogFixture } from '../fixtures/catalog/catalog-fixture.js';
import { pushIndexImage } from '../fixtures/catalog/index-image.js';
import { pushImageSet } from '../fixtures/catalog/related-images.js';
import { writeSqliteIndex } from '../fixtures/catalog/sqlite-index.js';

export const FORMATS = [
  { format: 'fbc', repo: 'olm/fbc-index', name: 'fbc-index' },
  { format: 'sqlite', repo: 'olm/sqlite-index', name: 'sqlite-index' },
] as const;

/** Pushes the fixture's images and both index images (tag v1) to `registry`; returns the fixture. */
export async function pushCatalogFixture(hub: RegistryHub, registry: string, dir: string): Promise<CatalogFixture> {
  const fx = await makeCatalogFixture(registry);
  for (const img of fx.images) await pushImageSet(hub.destination({ registry, repository: img.repository }), img.set);
  await pushIndexImage(hub.destination({ registry, repository: 'olm/fbc-index' }), { kind: 'fbc', files: fixtureFbcFiles(fx, stringify) }, { tag: 'v1' });
  writeSqliteIndex(fx.catalog, join(dir, 'index.db'));
  await pushIndexImage(hub.destination({ registry, repository: 'olm/sqlite-index' }), { kind: 'sqlite', dbPath: join(dir, 'index.db') }, { tag: 'v1' });
  return fx;
}

/** Whether `registry/repository` holds manifest `reference` (a digest or tag). */
export async function holds(hub: RegistryHub, registry: string, repository: string, reference: string): Promise<boolean> {
  const src = hub.source({ registry, repository });
  try {
    const m = await src.getManifest(reference);
    return reference.startsWith('sha256:') ? m.digest === reference : true;
  } catch (e) {
    if (e instanceof ImageNotFoundError) return false;
    throw e;
  } finally {
    await src.close();
  }
}

/** mapping.txt as [source, destination] pairs (checked: `SRC=DST` lines, sorted, destinations with a tag and no digest). */
export function readMapping(text: string): [string, string][] {
  const lines = text.split('\n');
  assert.equal(lines.pop(), '', 'mapping.txt ends with a newline');
  assert.deepEqual([...lines].sort(), lines, 'mapping.txt is sorted');
  return lines.map((l) => {
    const [src, dst, ...rest] = l.split('=');
    assert.equal(rest.length, 0, l);
    assert.ok(!dst!.includes('@'), `no digest on the destination: ${l}`);
    assert.match(dst!, /:[A-Za-z0-9_.-]+$/, `destination has a tag: ${l}`);
    return [src!, dst!];
  });
}

export interface MirrorSetDoc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels: Record<string, string> };
  spec: Record<string, { source: string; mirrors: string[] }[]>;
}

/** The documents of imageContentSourcePolicy.yaml / imageDigestMirrorSet.yaml (each preceded by `---`). */
export function readMirrorSets(text: string): MirrorSetDoc[] {
  assert.ok(text.startsWith('---\n'), 'documents are preceded by ---');
  return parseAllDocuments(text).map((d) => d.toJS() as MirrorSetDoc);
}

export const readYaml = <T>(text: string): T => parseYaml(text) as T;
