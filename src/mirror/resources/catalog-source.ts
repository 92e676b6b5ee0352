/**
 * CatalogSource (operators.coreos.com/v1alpha1, OLM v0): makes a mirrored
 * index image available to OperatorHub. Shape of oc adm catalog mirror's
 * `catalogSource.yaml` (keys sorted); annotations only when given (oc-mirror
 * v2 adds `createdBy`…).
 */
import { resourceName } from './names.js';
import { yamlScalar, yamlStringMap } from './yaml.js';

export interface CatalogSourceSpec {
  /** Sanitised to a resource name (names.ts): `redhat/redhat-operator-index` → `redhat-redhat-operator-index`. */
  readonly name: string;
  /** The index image, by tag or digest, as pods will pull it. */
  readonly image: string;
  /** Default `openshift-marketplace`. */
  readonly namespace?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** `metadata.annotations` block (two-space indent), empty without annotations. */
export function annotationsBlock(a: Readonly<Record<string, string>> | undefined): string {
  return a !== undefined && Object.keys(a).length > 0 ? `  annotations:\n${yamlStringMap(a, '    ')}` : '';
}

export function catalogSourceYaml(s: CatalogSourceSpec): string {
  return (
    `apiVersion: operators.coreos.com/v1alpha1\nkind: CatalogSource\nmetadata:\n${annotationsBlock(s.annotations)}` +
    `  name: ${yamlScalar(resourceName(s.name))}\n  namespace: ${yamlScalar(s.namespace ?? 'openshift-marketplace')}\n` +
    `spec:\n  image: ${yamlScalar(s.image)}\n  sourceType: grpc\n`
  );
}
