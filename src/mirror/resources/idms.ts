/** ImageDigestMirrorSet (config.openshift.io/v1): where images pulled by digest may come from. */
import { mirrorSetDocument, mirrorSetDocuments, type MirrorSetKind, type SplitOptions } from './mirror-set-document.js';
import type { MirrorSet } from './mirror-sets.js';

export const IDMS: MirrorSetKind = { apiVersion: 'config.openshift.io/v1', kind: 'ImageDigestMirrorSet', specKey: 'imageDigestMirrors' };

/** One IDMS named `name` (release mirror's `example`). */
export function idmsYaml(sets: readonly MirrorSet[], name = 'example'): string {
  return mirrorSetDocument(IDMS, sets, { name });
}

/** `imageDigestMirrorSet.yaml`: `---`-separated IDMSs `<name>-0`, `<name>-1`, … of at most `maxSize` bytes each. */
export function idmsDocuments(sets: readonly MirrorSet[], o: SplitOptions): string {
  return mirrorSetDocuments(IDMS, sets, o);
}
