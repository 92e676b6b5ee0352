/** ImageTagMirrorSet (config.openshift.io/v1): mirrors for images pulled by tag. */
import { mirrorSetDocument, mirrorSetDocuments, type MirrorSetKind, type SplitOptions } from './mirror-set-document.js';
import type { MirrorSet } from './mirror-sets.js';

export const ITMS: MirrorSetKind = { apiVersion: 'config.openshift.io/v1', kind: 'ImageTagMirrorSet', specKey: 'imageTagMirrors' };

/** One ITMS named `name`. */
export function itmsYaml(sets: readonly MirrorSet[], name: string): string {
  return mirrorSetDocument(ITMS, sets, { name });
}

/** `---`-separated ITMSs `<name>-0`, `<name>-1`, … of at most `maxSize` bytes each. */
export function itmsDocuments(sets: readonly MirrorSet[], o: SplitOptions): string {
  return mirrorSetDocuments(ITMS, sets, o);
}
