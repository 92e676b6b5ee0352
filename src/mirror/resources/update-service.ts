/**
 * UpdateService (updateservice.operator.openshift.io/v1, the OpenShift
 * Update Service operator): points OSUS at the mirrored graph-data image and
 * the repository of release images. The shape of oc-mirror v2's
 * `cluster-resources/updateService.yaml` (reference §5.10): name
 * `update-service-oc-mirror`, namespace `openshift-update-service`,
 * `spec.graphDataImage`, `spec.releases` (the release-images repository,
 * never the components'), `spec.replicas: 2`.
 */
import { annotationsBlock } from './catalog-source.js';
import { yamlScalar } from './yaml.js';

export interface UpdateServiceSpec {
  /** The graph-data image, by digest (`repo@sha256:…`) or tag. */
  readonly graphDataImage: string;
  /** The repository holding the release images only (`host/path/openshift/release-images`). */
  readonly releases: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly replicas?: number;
  readonly annotations?: Readonly<Record<string, string>>;
}

export function updateServiceYaml(s: UpdateServiceSpec): string {
  return (
    `apiVersion: updateservice.operator.openshift.io/v1\nkind: UpdateService\nmetadata:\n${annotationsBlock(s.annotations)}` +
    `  name: ${yamlScalar(s.name ?? 'update-service-oc-mirror')}\n  namespace: ${yamlScalar(s.namespace ?? 'openshift-update-service')}\n` +
    `spec:\n  graphDataImage: ${yamlScalar(s.graphDataImage)}\n  releases: ${yamlScalar(s.releases)}\n  replicas: ${s.replicas ?? 2}\n`
  );
}
