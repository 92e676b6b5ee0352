/**
 * What `release mirror` prints after copying, in oc's words: the `Success`
 * block, the install-config snippet and the ICSP or IDMS for a registry
 * destination, or the upload command for a file:// export.
 */
import { icspYaml } from './resources/icsp.js';
import { idmsYaml } from './resources/idms.js';
import { installConfigSnippet } from './resources/install-config.js';
import type { MirrorSet } from './resources/mirror-sets.js';

export type InstructionType = 'icsp' | 'idms' | 'none';

/** True for releases from 4.13 on (ImageDigestMirrorSet and `imageDigestSources` came with 4.13). */
export function supportsIdms(version: string): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (m === null) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 4 || (major === 4 && minor >= 13);
}

/**
 * What a release's own cluster understands when no --print-mirror-instructions
 * is given: ICSP and `imageContentSources` up to 4.12, IDMS from 4.13 (an
 * unrecognised version keeps oc's default, icsp).
 */
export function defaultInstructions(version: string): InstructionType {
  return supportsIdms(version) ? 'idms' : 'icsp';
}

/** The text oc prints after `Success … Mirror prefix:` for a registry destination. */
export function instructionsText(sets: readonly MirrorSet[], type: InstructionType, signatureDir?: string): string {
  if (type === 'none' || sets.length === 0) return '';
  const kind = type === 'icsp' ? 'an ImageContentSourcePolicy' : 'an ImageDigestMirrorSet';
  const object = type === 'icsp' ? icspYaml(sets) : idmsYaml(sets);
  let s =
    '\nTo use the new mirrored repository to install, add the following section to the install-config.yaml:\n\n' +
    installConfigSnippet(sets, type) +
    `\n\nTo use the new mirrored repository for upgrades, use the following to create ${kind}:\n\n` +
    object;
  if (signatureDir !== undefined && signatureDir !== '') s += `\n\nTo apply signature configmaps use 'oc apply' on files found in ${signatureDir}\n\n`;
  return s;
}

/** The `Success` block: update image and one `Mirror prefix:` line per --to / --to-release-image. */
export function successText(updateImage: string, prefixes: readonly string[]): string {
  return `\nSuccess\nUpdate image:  ${updateImage}\n${prefixes.map((p) => `Mirror prefix: ${p}\n`).join('')}`;
}

/** The hint printed after mirroring to a file:// store (airlock's command in place of oc's). */
export function uploadHint(updateImage: string, toDir: string | undefined): string {
  const from = toDir !== undefined && toDir !== '' ? `--from-dir=${toDir} ` : '';
  return `\nTo upload local images to a registry, run:\n\n    airlock image mirror ${from}'file://${updateImage}*' REGISTRY/REPOSITORY\n\n`;
}
