/**
 * `/release-manifests/image-references`: an `image.openshift.io/v1`
 * ImageStream whose `spec.tags[]` name every component of a release and
 * point at it by digest (`from.kind: DockerImage`, `from.name: repo@sha256:…`).
 * `metadata.name` is the release version.
 */
import { InvalidReferenceError, parseImageName, repositoryOf, type ImageName } from '../reference/image-name.js';
import type { Digest } from '../oci/digest.js';

export interface ImageStreamTag {
  name: string;
  annotations?: Record<string, string>;
  from?: { kind: string; name: string };
  generation?: number | null;
  importPolicy?: Record<string, unknown>;
  referencePolicy?: { type: string };
}

export interface ImageStream {
  kind: 'ImageStream';
  apiVersion: 'image.openshift.io/v1';
  metadata: { name: string; creationTimestamp?: string | null; annotations?: Record<string, string> };
  spec: { lookupPolicy?: { local: boolean }; tags: ImageStreamTag[] };
}

/** One release component, as image-references names it. */
export interface Component {
  /** The tag name (`installer`, `cli`, `etcd`, …). */
  readonly name: string;
  /** The pull spec exactly as written. */
  readonly pullSpec: string;
  readonly image: ImageName & { readonly registry: string; readonly digest: Digest };
  /** `host/repository` of the source. */
  readonly repository: string;
}

export class ReleasePayloadError extends Error {
  readonly code = 'ERR_RELEASE_PAYLOAD';
}

/** Parses and checks the ImageStream (oc's checks and texts). */
export function parseImageReferences(text: string): ImageStream {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ReleasePayloadError(`unable to load image-references from release payload: ${(e as Error).message}`);
  }
  const is = doc as Partial<ImageStream> | null;
  if (typeof is !== 'object' || is === null || is.kind !== 'ImageStream' || is.apiVersion !== 'image.openshift.io/v1') {
    throw new ReleasePayloadError('unrecognized image-references in release payload');
  }
  if (typeof is.metadata?.name !== 'string' || is.metadata.name === '') throw new ReleasePayloadError('image-references has no metadata.name (the release version)');
  const tags = is.spec?.tags ?? [];
  if (!Array.isArray(tags)) throw new ReleasePayloadError('image-references: spec.tags is not a list');
  for (const [i, t] of tags.entries()) {
    if (typeof t !== 'object' || t === null || typeof t.name !== 'string' || t.name === '') throw new ReleasePayloadError(`image-references: spec.tags[${i}] has no name`);
  }
  return { ...(is as ImageStream), spec: { ...is.spec, tags } };
}

/**
 * The components (tags with a DockerImage `from`), in file order. Throws oc's
 * `image-references should only contain pointers to images by digest: <ref>`
 * for a tag or digest-less reference.
 */
export function componentsOf(is: ImageStream): Component[] {
  const out: Component[] = [];
  for (const t of is.spec.tags) {
    if (t.from === undefined || t.from.kind !== 'DockerImage') continue;
    let name: ImageName;
    try {
      name = parseImageName(t.from.name);
    } catch (e) {
      const why = e instanceof InvalidReferenceError ? e.message : String(e);
      throw new ReleasePayloadError(`release tag "${t.name}" is not valid: ${why}`);
    }
    if (name.tag !== undefined || name.digest === undefined) {
      throw new ReleasePayloadError(`image-references should only contain pointers to images by digest: ${t.from.name}`);
    }
    if (name.registry === undefined) throw new ReleasePayloadError(`release tag "${t.name}" is not valid: ${t.from.name} has no registry host`);
    const image = name as Component['image'];
    out.push({ name: t.name, pullSpec: t.from.name, image, repository: repositoryOf(image) });
  }
  return out;
}

/** Builds image-references as `oc adm release new` writes it. */
export function buildImageStream(
  version: string,
  components: readonly { name: string; pullSpec: string; annotations?: Record<string, string> }[],
  opts: { created?: string; annotations?: Record<string, string> } = {},
): ImageStream {
  return {
    kind: 'ImageStream',
    apiVersion: 'image.openshift.io/v1',
    metadata: { name: version, creationTimestamp: opts.created ?? null, ...(opts.annotations ? { annotations: opts.annotations } : {}) },
    spec: {
      lookupPolicy: { local: false },
      tags: components.map((c) => ({
        name: c.name,
        ...(c.annotations ? { annotations: c.annotations } : {}),
        from: { kind: 'DockerImage', name: c.pullSpec },
        generation: null,
        importPolicy: {},
        referencePolicy: { type: '' },
      })),
    },
  };
}
