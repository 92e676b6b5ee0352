/**
 * oc-mirror v2's release signature ConfigMap (reference §5.10): ONE
 * ConfigMap `mirrored-release-signatures` in `openshift-config-managed`
 * for every mirrored release, labelled for the cluster-version operator,
 * with `binaryData` keys `sha256-<hex>-<n>` (n from 1 per digest) holding
 * each GPG signature in base64. YAML (keys sorted) and JSON forms.
 */
import { yamlStringMap } from './yaml.js';

export interface ReleaseSignatures {
  readonly digest: string;
  readonly signatures: readonly Buffer[];
}

const LABEL = 'release.openshift.io/verification-signatures';

function entries(releases: readonly ReleaseSignatures[]): [string, string][] {
  return releases
    .flatMap((r) => r.signatures.map((s, i): [string, string] => [`${r.digest.replace(':', '-')}-${i + 1}`, s.toString('base64')]))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export function signatureConfigMapYaml(releases: readonly ReleaseSignatures[], annotations: Readonly<Record<string, string>>): string {
  const data = entries(releases).map(([k, v]) => `  ${k}: ${v}\n`).join('');
  const a = Object.keys(annotations).length > 0 ? `  annotations:\n${yamlStringMap(annotations, '    ')}` : '';
  return `apiVersion: v1\nbinaryData:\n${data}kind: ConfigMap\nmetadata:\n${a}  labels:\n    ${LABEL}: ""\n  name: mirrored-release-signatures\n  namespace: openshift-config-managed\n`;
}

export function signatureConfigMapJson(releases: readonly ReleaseSignatures[], annotations: Readonly<Record<string, string>>): string {
  const doc = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { annotations, labels: { [LABEL]: '' }, name: 'mirrored-release-signatures', namespace: 'openshift-config-managed' },
    binaryData: Object.fromEntries(entries(releases)),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
