/** ImageContentSourcePolicy (operator.openshift.io/v1alpha1): digest mirrors for clusters before IDMS. */
import { mirrorSetDocument, mirrorSetDocuments, type MirrorSetKind, type SplitOptions } from './mirror-set-document.js';
import type { MirrorSet } from './mirror-sets.js';

export const ICSP: MirrorSetKind = { apiVersion: 'operator.openshift.io/v1alpha1', kind: 'ImageContentSourcePolicy', specKey: 'repositoryDigestMirrors' };

/** One ICSP named `name` (release mirror's `example`). */
export function icspYaml(sets: readonly MirrorSet[], name = 'example'): string {
  return mirrorSetDocument(ICSP, sets, { name });
}

/** `imageContentSourcePolicy.yaml`: `---`-separated ICSPs `<name>-0`, `<name>-1`, … of at most `maxSize` bytes each. */
export function icspDocuments(sets: readonly MirrorSet[], o: SplitOptions): string {
  return mirrorSetDocuments(ICSP, sets, o);
}
