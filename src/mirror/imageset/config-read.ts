/**
 * Reads an ImageSetConfiguration (`mirror.openshift.io/v2alpha1`, or
 * `v1alpha2` with a deprecation notice and the field mapping, config-v1.ts)
 * or a DeleteImageSetConfiguration from a file. Every error is one line:
 * `FILE:LINE: FIELD: what is wrong (what is allowed)`.
 */
import { isMap, isScalar, type Node } from 'yaml';
import { INPUT_LIMITS, InputFileError, readInputFile } from '../../util/input-file.js';
import { v1MappingNotices, V1_MIRROR_FIELDS, V1_OPERATOR_FIELDS, V1_TOP_FIELDS } from './config-v1.js';
import type { DeleteImageSetConfig, ImageSetConfig } from './config-types.js';
import { readHelm } from './config-helm.js';
import { MIRROR_SECTIONS, readAdditional, readBlocked, readOperator, readPlatform, UNSUPPORTED_MIRROR_SECTIONS } from './config-sections.js';
import { ConfigSource, ImageSetConfigError, type MapEntry } from './yaml-nodes.js';
import { readSamples } from './config-samples.js';

export const API_GROUP = 'mirror.openshift.io';
export const V2 = `${API_GROUP}/v2alpha1`;
export const V1 = `${API_GROUP}/v1alpha2`;

type Kind = 'ImageSetConfiguration' | 'DeleteImageSetConfiguration';

function header(src: ConfigSource, kind: Kind, allowedVersions: readonly string[], fields: (apiVersion: string) => readonly string[]): { apiVersion: string; top: Map<string, MapEntry> } {
  const root = src.doc.contents as Node | null;
  if (root === null || (isScalar(root) && root.value === null)) throw new ImageSetConfigError(`${src.file}:1: the file is empty (expected kind: ${kind}, apiVersion: ${V2})`);
  if (!isMap(root)) src.fail(root, 'the file', `must be a mapping (kind: ${kind}, apiVersion: ${V2}, …)`);
  const kindNode = src.doc.get('kind', true) as Node | undefined;
  if (kindNode === undefined) src.fail(root, 'kind', `missing (expected ${kind})`);
  const k = src.string(kindNode, 'kind');
  if (k !== kind) src.fail(kindNode, 'kind', `"${k}" is not ${kind}${k === 'ImageSetConfiguration' || k === 'DeleteImageSetConfiguration' ? ' (this command reads the other kind)' : ''}`);
  const avNode = src.doc.get('apiVersion', true) as Node | undefined;
  if (avNode === undefined) src.fail(root, 'apiVersion', `missing (expected ${allowedVersions.join(' or ')})`);
  const apiVersion = src.string(avNode, 'apiVersion');
  if (!allowedVersions.includes(apiVersion)) src.fail(avNode, 'apiVersion', `"${apiVersion}" is not supported (allowed: ${allowedVersions.join(', ')})`);
  return { apiVersion, top: src.map(root, '', fields(apiVersion)) };
}

/** Parses the text of an ImageSetConfiguration named `file` (for messages). */
export function parseImageSetConfig(file: string, text: string): ImageSetConfig {
  const src: ConfigSource = ConfigSource.parse(file, text);
  const { apiVersion, top } = header(src, 'ImageSetConfiguration', [V2, V1], (v) => (v === V1 ? V1_TOP_FIELDS : ['kind', 'apiVersion', 'archiveSize', 'mirror']));
  const v1 = apiVersion === V1;
  const archiveSize = src.positiveInt(top.get('archiveSize'), 'archiveSize');
  const mirrorEntry = top.get('mirror');
  if (mirrorEntry === undefined) src.fail(src.doc.contents as Node, 'mirror', `missing (give at least one of ${MIRROR_SECTIONS.join(', ')})`);
  const m = src.map(mirrorEntry.value, 'mirror', v1 ? V1_MIRROR_FIELDS : MIRROR_SECTIONS, UNSUPPORTED_MIRROR_SECTIONS);
  if (m.size === 0) src.fail(mirrorEntry.value ?? mirrorEntry.key, 'mirror', `is empty (give at least one of ${MIRROR_SECTIONS.join(', ')})`);
  const p = m.get('platform');
  const config: ImageSetConfig = {
    file,
    apiVersion,
    ...(archiveSize !== undefined ? { archiveSize } : {}),
    ...(p !== undefined ? { platform: readPlatform(src, p.value, 'mirror.platform') } : {}),
    operators: src.seq(m.get('operators')?.value, 'mirror.operators').map((n, i) => readOperator(src, n, `mirror.operators[${i}]`, v1 ? V1_OPERATOR_FIELDS : [])),
    additionalImages: src.seq(m.get('additionalImages')?.value, 'mirror.additionalImages').map((n, i) => readAdditional(src, n, `mirror.additionalImages[${i}]`)),
    blockedImages: src.seq(m.get('blockedImages')?.value, 'mirror.blockedImages').map((n, i) => readBlocked(src, n, `mirror.blockedImages[${i}]`, v1)),
    ...(m.get('helm') !== undefined ? { helm: readHelm(src, m.get('helm')!.value, 'mirror.helm') } : {}),
    ...(m.get('samples') !== undefined ? { samples: readSamples(src, m.get('samples')!.value, 'mirror.samples') } : {}),
    notices: v1 ? v1MappingNotices(file, top, m) : [],
  };
  const seen = new Map<string, string>();
  for (const o of config.operators) {
    const key = `${o.catalog}\u0000${o.targetCatalog ?? ''}\u0000${o.targetTag ?? ''}`;
    const first = seen.get(key);
    if (first !== undefined) throw new ImageSetConfigError(`${o.where}: mirror.operators: catalog ${o.catalog} is listed twice with the same target (first at ${first}); merge the packages into one entry`);
    seen.set(key, o.where);
  }
  return config;
}

/** Parses a DeleteImageSetConfiguration (v2alpha1; the sections under `delete:`). */
export function parseDeleteImageSetConfig(file: string, text: string): DeleteImageSetConfig {
  const src: ConfigSource = ConfigSource.parse(file, text);
  const { top } = header(src, 'DeleteImageSetConfiguration', [V2], () => ['kind', 'apiVersion', 'delete']);
  const d = top.get('delete');
  if (d === undefined) src.fail(src.doc.contents as Node, 'delete', 'missing (give at least one of platform, operators, additionalImages)');
  const m = src.map(d.value, 'delete', ['platform', 'operators', 'additionalImages'], [...UNSUPPORTED_MIRROR_SECTIONS, 'helm', 'samples']);
  const p = m.get('platform');
  return {
    file,
    ...(p !== undefined ? { platform: readPlatform(src, p.value, 'delete.platform') } : {}),
    operators: src.seq(m.get('operators')?.value, 'delete.operators').map((n, i) => readOperator(src, n, `delete.operators[${i}]`)),
    additionalImages: src.seq(m.get('additionalImages')?.value, 'delete.additionalImages').map((n, i) => readAdditional(src, n, `delete.additionalImages[${i}]`)),
  };
}

async function readText(file: string): Promise<string> {
  try {
    return await readInputFile(file, 'image set config', INPUT_LIMITS.config);
  } catch (e) {
    if (e instanceof InputFileError) throw new ImageSetConfigError(e.message);
    const code = (e as NodeJS.ErrnoException).code;
    throw new ImageSetConfigError(`${file}: cannot read the image set config (${code ?? (e as Error).message})`);
  }
}

export async function readImageSetConfig(file: string): Promise<ImageSetConfig> {
  return parseImageSetConfig(file, await readText(file));
}

export async function readDeleteImageSetConfig(file: string): Promise<DeleteImageSetConfig> {
  return parseDeleteImageSetConfig(file, await readText(file));
}
