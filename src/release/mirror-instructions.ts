/**
 * What `oc adm release mirror` prints after a registry mirror and what
 * airlock writes with --output-dir: the install-config snippet
 * (imageContentSources / imageDigestSources) and the ImageContentSourcePolicy
 * or ImageDigestMirrorSet, byte for byte in oc's YAML (sigs.k8s.io/yaml:
 * keys sorted, `- ` sequences at the parent's indentation). Unlike oc, the
 * sources are deduplicated AND sorted, so the output is deterministic.
 */

export type InstructionType = 'icsp' | 'idms' | 'none';

export interface MirrorSet {
  readonly source: string;
  readonly mirrors: readonly string[];
}

/** One entry per source (sorted), each with every mirror repository (deduplicated, in order). */
export function mirrorSets(sources: Iterable<string>, mirrors: readonly string[]): MirrorSet[] {
  const ms = [...new Set(mirrors)];
  return [...new Set(sources)].sort().map((source) => ({ source, mirrors: ms }));
}

const RESERVED = /^(?:~|null|true|false|yes|no|on|off|y|n|[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|0x[0-9a-fA-F]+|\.inf|\.nan)$/i;

/** A YAML scalar as go-yaml writes it: plain when safe, else single-quoted. */
export function yamlScalar(s: string): string {
  const plain = s !== '' && /^[A-Za-z0-9_./][A-Za-z0-9_./:@+=-]*$/.test(s) && !RESERVED.test(s) && !/:$/.test(s);
  return plain ? s : `'${s.replace(/'/g, "''")}'`;
}

function entries(sets: readonly MirrorSet[], indent: string): string {
  return sets.map((m) => `${indent}- mirrors:\n${m.mirrors.map((x) => `${indent}  - ${yamlScalar(x)}\n`).join('')}${indent}  source: ${yamlScalar(m.source)}\n`).join('');
}

/** `imageContentSources:` (icsp) or `imageDigestSources:` (idms) for install-config.yaml. */
export function installConfigSnippet(sets: readonly MirrorSet[], type: 'icsp' | 'idms'): string {
  const key = type === 'icsp' ? 'imageContentSources' : 'imageDigestSources';
  return sets.length === 0 ? `${key}: []\n` : `${key}:\n${entries(sets, '')}`;
}

export function icspYaml(sets: readonly MirrorSet[], name = 'example'): string {
  return `apiVersion: operator.openshift.io/v1alpha1\nkind: ImageContentSourcePolicy\nmetadata:\n  name: ${yamlScalar(name)}\nspec:\n  repositoryDigestMirrors:\n${entries(sets, '  ')}`;
}

export function idmsYaml(sets: readonly MirrorSet[], name = 'example'): string {
  return `apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata:\n  name: ${yamlScalar(name)}\nspec:\n  imageDigestMirrors:\n${entries(sets, '  ')}`;
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
