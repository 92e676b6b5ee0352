/**
 * ClusterCatalog (olm.operatorframework.io/v1, OLM v1): the same index
 * image for OLM v1 clusters. Shape of oc-mirror v2's `cc-*.yaml`, including
 * its key order (`type` before `image`); annotations only when given.
 */
import { annotationsBlock } from './catalog-source.js';
import { resourceName } from './names.js';
import { yamlScalar } from './yaml.js';

export interface ClusterCatalogSpec {
  /** Sanitised to a resource name (names.ts). */
  readonly name: string;
  /** The index image reference (`spec.source.image.ref`). */
  readonly image: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

export function clusterCatalogYaml(c: ClusterCatalogSpec): string {
  return (
    `apiVersion: olm.operatorframework.io/v1\nkind: ClusterCatalog\nmetadata:\n${annotationsBlock(c.annotations)}` +
    `  name: ${yamlScalar(resourceName(c.name))}\n` +
    `spec:\n  source:\n    type: Image\n    image:\n      ref: ${yamlScalar(c.image)}\n`
  );
}
