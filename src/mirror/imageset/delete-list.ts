/**
 * `working-dir/delete/delete-images[-<id>].yaml`, oc-mirror v2's
 * DeleteImageList (reference §5.11): `kind: DeleteImageList`,
 * `apiVersion: mirror.openshift.io/v2alpha1`, and one item per manifest to
 * delete with `imageName` (the source image), `imageReference`
 * (`docker://<destination>/<repo>@sha256:…`) and `type` (oc-mirror's image
 * type names). Written by phase 1 (`--generate`), read back by phase 2
 * (`--delete-yaml-file`) with the same line-accurate checks as the configs.
 */
import { stringify } from 'yaml';
import { isDigest } from '../../oci/digest.js';
import { INPUT_LIMITS, InputFileError, readInputFile } from '../../util/input-file.js';
import type { ItemOrigin } from '../plan.js';
import { ConfigSource, ImageSetConfigError } from './yaml-nodes.js';

export const DELETE_LIST_KIND = 'DeleteImageList';
export const DELETE_LIST_API = 'mirror.openshift.io/v2alpha1';

/** oc-mirror v2's ImageType strings. */
export const IMAGE_TYPES = ['ocpRelease', 'ocpReleaseContent', 'cincinnatiGraph', 'operatorCatalog', 'operatorBundle', 'operatorRelatedImage', 'generic', 'helmImage'] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];

export interface DeleteItem {
  /** The source image the mirror copy came from. */
  readonly imageName: string;
  /** `docker://host[:port]/repo@sha256:…` in the destination. */
  readonly imageReference: string;
  readonly type: ImageType;
}

export interface DeleteItemAt extends DeleteItem {
  /** `file:line` of the item (for messages). */
  readonly where: string;
  /** `host[:port]`, repository and digest of imageReference. */
  readonly registry: string;
  readonly repository: string;
  readonly digest: string;
}

/** The oc-mirror type of a plan item, from its origins. */
export function imageType(origins: readonly ItemOrigin[]): ImageType {
  const release = origins.find((o) => o.kind === 'release');
  if (release !== undefined) return release.component === 'release' ? 'ocpRelease' : 'ocpReleaseContent';
  const op = origins.find((o) => o.kind === 'operator');
  if (op !== undefined) return op.bundle === undefined ? 'operatorCatalog' : 'operatorRelatedImage';
  if (origins.some((o) => o.kind === 'helm')) return 'helmImage';
  return 'generic';
}

/** The YAML text of a DeleteImageList, field order as oc-mirror writes it. */
export function formatDeleteList(items: readonly DeleteItem[]): string {
  return stringify({
    kind: DELETE_LIST_KIND,
    apiVersion: DELETE_LIST_API,
    items: items.map((i) => ({ imageName: i.imageName, imageReference: i.imageReference, type: i.type })),
  }, { lineWidth: 0 });
}

/** Splits `docker://host[:port]/repo/path@sha256:…`; undefined when it is not that shape. */
export function splitDeleteReference(ref: string): { registry: string; repository: string; digest: string } | undefined {
  const m = /^docker:\/\/([^/@]+)\/([a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)@(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/.exec(ref);
  if (m === null || !isDigest(m[3]!)) return undefined;
  return { registry: m[1]!, repository: m[2]!, digest: m[3]! };
}

export function parseDeleteList(file: string, text: string): DeleteItemAt[] {
  const src = ConfigSource.parse(file, text);
  const root = src.doc.contents;
  if (root === null) throw new ImageSetConfigError(`${file}:1: the file is empty (expected kind: ${DELETE_LIST_KIND}, as written by airlock mirror delete --generate)`);
  const top = src.map(root, '', ['kind', 'apiVersion', 'items']);
  const kind = src.string(top.get('kind')?.value ?? root, 'kind', `${DELETE_LIST_KIND}`);
  if (kind !== DELETE_LIST_KIND) src.fail(top.get('kind')!.value, 'kind', `"${kind}" is not ${DELETE_LIST_KIND}${kind === 'DeleteImageSetConfiguration' ? ' (pass a DeleteImageSetConfiguration with -c and --generate first)' : ''}`);
  const api = src.string(top.get('apiVersion')?.value ?? root, 'apiVersion', DELETE_LIST_API);
  if (api !== DELETE_LIST_API) src.fail(top.get('apiVersion')!.value, 'apiVersion', `"${api}" is not supported (allowed: ${DELETE_LIST_API})`);
  return src.seq(top.get('items')?.value, 'items').map((node, i) => {
    const f = `items[${i}]`;
    const m = src.map(node, f, ['imageName', 'imageReference', 'type', 'relatedBlobs']);
    const imageName = src.string(m.get('imageName')?.value ?? node, `${f}.imageName`);
    const refNode = m.get('imageReference')?.value ?? node;
    const imageReference = src.string(refNode, `${f}.imageReference`);
    const parts = splitDeleteReference(imageReference) ?? src.fail(refNode, `${f}.imageReference`, `"${imageReference}" is not docker://HOST/REPOSITORY@sha256:DIGEST (phase 2 deletes manifests by digest)`);
    const typeNode = m.get('type')?.value ?? node;
    const type = src.string(typeNode, `${f}.type`);
    if (!(IMAGE_TYPES as readonly string[]).includes(type)) src.fail(typeNode, `${f}.type`, `"${type}" is not an image type (allowed: ${IMAGE_TYPES.join(', ')})`);
    return { imageName, imageReference, type: type as ImageType, where: src.at(node), ...parts };
  });
}

export async function readDeleteList(file: string): Promise<DeleteItemAt[]> {
  let text: string;
  try {
    text = await readInputFile(file, 'delete list', INPUT_LIMITS.list);
  } catch (e) {
    if (e instanceof InputFileError) throw new ImageSetConfigError(e.message);
    throw new ImageSetConfigError(`${file}: cannot read the delete list (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseDeleteList(file, text);
}
