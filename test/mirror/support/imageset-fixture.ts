/**
 * The connected side of the image-set archive tests, on loopback: an airlock
 * registry holding a synthetic release 4.18.2 (in the graph's stable-4.18
 * channel with a never-pushed 4.18.1), the catalog fixture, two additional
 * images (one of them blocked by the config), and the config file itself.
 * `addRelease` pushes another version and puts it at the channel head.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RegistryHub } from '../../../src/transports/registry/registry-hub.js';
import type { AirlockHandle } from '../../helpers/airlock-server.js';
import { graphOf, type GraphServer } from '../../helpers/graph-server.js';
import { makeSyntheticRelease, type SyntheticRelease } from '../../fixtures/release-fixture.js';
import { buildImageSet, pushImageSet } from '../../fixtures/catalog/related-images.js';
import { pushCatalogFixture } from '../../catalog/catalog-mirror-setup.js';
import type { CatalogFixture } from '../../fixtures/catalog/catalog-fixture.js';

export interface ImageSetSide {
  readonly isc: string;
  readonly fx: CatalogFixture;
  readonly releases: SyntheticRelease[];
  readonly appDigest: string;
  /** Pushes release `version` and makes the graph's channel end with it. */
  addRelease(version: string): Promise<SyntheticRelease>;
}

export async function imageSetSide(up: AirlockHandle, graph: GraphServer, work: string): Promise<ImageSetSide> {
  const releases: SyntheticRelease[] = [];
  const setGraph = (): void => {
    const versions = ['4.18.1', ...releases.map((r) => r.version)];
    const edges = versions.slice(1).map((v, k) => [versions[k]!, v] as [string, string]);
    graph.set('stable-4.18', 'amd64', graphOf(versions, edges, (v) => {
      const r = releases.find((x) => x.version === v);
      return r ? `${up.hostPort}/${r.releaseRepo}@${r.digest}` : `${up.hostPort}/ocp/release@sha256:${'1'.repeat(64)}`;
    }));
  };
  const addRelease = async (version: string): Promise<SyntheticRelease> => {
    const r = await makeSyntheticRelease({ registry: up.hostPort, version, count: 8, componentSize: 40_000 });
    releases.push(r);
    setGraph();
    return r;
  };
  await addRelease('4.18.2');
  const hub = new RegistryHub({ insecure: () => true });
  let fx: CatalogFixture;
  let appDigest: string;
  try {
    fx = await pushCatalogFixture(hub, up.hostPort, work);
    const app = await buildImageSet('extra app', false);
    await pushImageSet(hub.destination({ registry: up.hostPort, repository: 'extra/tools/app' }), app, 'v1');
    appDigest = app.top.digest;
    await pushImageSet(hub.destination({ registry: up.hostPort, repository: 'extra/tools/debug' }), await buildImageSet('extra debug', false), 'v1');
  } finally {
    await hub.close();
  }
  const isc = join(work, 'isc.yaml');
  await writeFile(isc, `kind: ImageSetConfiguration
apiVersion: mirror.openshift.io/v2alpha1
archiveSize: 1
mirror:
  platform:
    channels:
    - name: stable-4.18
  operators:
  - catalog: ${up.hostPort}/olm/fbc-index:v1
    targetCatalog: my-ns/my-index
    targetTag: v1-filtered
    packages:
    - name: etcd
      channels:
      - name: stable
  additionalImages:
  - name: ${up.hostPort}/extra/tools/app:v1
  - name: ${up.hostPort}/extra/tools/debug:v1
  blockedImages:
  - name: "/extra/tools/debug"
`);
  return { isc, fx, releases, appDigest, addRelease };
}
