/** The install-config.yaml section that points an installation at the mirrors. */
import { mirrorSetEntries, type MirrorSet } from './mirror-sets.js';

/** `imageContentSources:` (icsp, older installers) or `imageDigestSources:` (idms). */
export function installConfigSnippet(sets: readonly MirrorSet[], type: 'icsp' | 'idms'): string {
  const key = type === 'icsp' ? 'imageContentSources' : 'imageDigestSources';
  return sets.length === 0 ? `${key}: []\n` : `${key}:\n${mirrorSetEntries(sets, '')}`;
}
