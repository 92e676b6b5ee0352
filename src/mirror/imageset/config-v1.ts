/**
 * oc-mirror v1's `mirror.openshift.io/v1alpha2` (reference §5.2), read onto
 * the v2alpha1 model with a deprecation notice that prints how each field
 * present in the file was mapped (the migration notes of reference §5.1).
 */
import type { MapEntry } from './yaml-nodes.js';
import { MIRROR_SECTIONS } from './config-sections.js';

export const V1_TOP_FIELDS = ['kind', 'apiVersion', 'archiveSize', 'storageConfig', 'mirror'] as const;
export const V1_MIRROR_FIELDS = MIRROR_SECTIONS;
/** Operator fields v1 has and v2 does not: `targetName` is read as `targetCatalog`. */
export const V1_OPERATOR_FIELDS = ['targetName'] as const;

/** The notice lines for a v1alpha2 file: the deprecation, then one line per mapped field present. */
export function v1MappingNotices(file: string, top: ReadonlyMap<string, MapEntry>, mirror: ReadonlyMap<string, MapEntry>): string[] {
  const lines = [
    `${file}: apiVersion mirror.openshift.io/v1alpha2 (oc-mirror v1) is deprecated; read as mirror.openshift.io/v2alpha1 with this mapping:`,
    '  apiVersion: mirror.openshift.io/v1alpha2 -> mirror.openshift.io/v2alpha1',
  ];
  if (top.has('storageConfig')) lines.push('  storageConfig -> ignored (v2 keeps its state in the workspace: --workspace file://DIR, or the m2d directory)');
  if (top.has('archiveSize')) lines.push('  archiveSize -> archiveSize (GiB per archive file)');
  if (mirror.has('platform')) lines.push('  mirror.platform -> mirror.platform (channels, minVersion, maxVersion, shortestPath, full, architectures unchanged)');
  if (mirror.has('operators')) lines.push('  mirror.operators -> mirror.operators (packages and channels unchanged; targetName -> targetCatalog)');
  if (mirror.has('additionalImages')) lines.push('  mirror.additionalImages -> mirror.additionalImages (unchanged)');
  if (mirror.has('blockedImages')) lines.push('  mirror.blockedImages[].name -> a regular expression matching the name as a literal substring (v1 semantics kept)');
  lines.push('  write apiVersion: mirror.openshift.io/v2alpha1 and drop storageConfig to silence this notice');
  return lines;
}
