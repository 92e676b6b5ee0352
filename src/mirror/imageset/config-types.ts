/**
 * An ImageSetConfiguration as airlock reads it (oc-mirror v2's
 * `mirror.openshift.io/v2alpha1`, reference §5.3; v1alpha2 is mapped onto
 * it by config-v1.ts). Only the sections airlock implements are here; the
 * others are refused by name while reading (config-v2.ts). Every entry keeps
 * the `file:line` it came from, for later messages.
 */
import type { CatalogFilter } from '../../catalog/filter-spec.js';
import type { HelmSpec } from './config-helm.js';
import type { SamplesSpec } from './config-samples.js';

/** `file:line` of a config entry. */
export type Where = string;

export type ChannelType = 'ocp' | 'okd';

export const ARCHITECTURES = ['amd64', 'arm64', 'ppc64le', 's390x', 'multi'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export interface ReleaseChannel {
  readonly name: string;
  readonly type: ChannelType;
  readonly minVersion?: string;
  readonly maxVersion?: string;
  readonly shortestPath: boolean;
  readonly full: boolean;
  readonly where: Where;
}

export interface PlatformSpec {
  /** Default `[amd64]`. */
  readonly architectures: readonly Architecture[];
  readonly channels: readonly ReleaseChannel[];
  /** An explicit release image (`release:`), mirrored besides the channels. */
  readonly release?: { readonly image: string; readonly where: Where };
  /** `platforms[]` as `os/arch[/variant]`: the release list is kept (same digest), only these children copied (sparse). */
  readonly platforms?: readonly string[];
  /** `graph: true`: build and push the graph-data image, write the UpdateService (graph-image.ts). */
  readonly graph?: boolean;
  /** `kubeVirtContainer: true`: add the payload's KubeVirt RHCOS image (kubevirt.ts). */
  readonly kubeVirtContainer?: boolean;
}

export interface OperatorSpec {
  /** The index image as written (`registry/ns/name:tag` or `@sha256:…`). */
  readonly catalog: string;
  readonly targetCatalog?: string;
  readonly targetTag?: string;
  /** The filter for catalog/filter.ts (full, skipDependencies, packages). */
  readonly filter: CatalogFilter;
  /** The entry as written (JSON form), hashed for the rebuilt catalog's tag. */
  readonly entry: Readonly<Record<string, unknown>>;
  /** Sparse platform filter of the catalog's related images (`os/arch[/variant]`). */
  readonly platforms?: readonly string[];
  readonly where: Where;
}

export interface AdditionalImage {
  readonly name: string;
  /** Destination repository path below `<dest>` instead of the source path (oc-mirror 4.22). */
  readonly targetRepo?: string;
  /** Destination tag instead of the source tag (or `sha256-<hex>`). */
  readonly targetTag?: string;
  /** Sparse platform filter (`os/arch[/variant]`). */
  readonly platforms?: readonly string[];
  readonly where: Where;
}

export interface BlockedImage {
  /** The regular expression as written. */
  readonly name: string;
  readonly pattern: RegExp;
  readonly where: Where;
}

export interface ImageSetConfig {
  readonly file: string;
  /** The apiVersion the file declared (v1alpha2 files are mapped onto v2alpha1). */
  readonly apiVersion: string;
  /** GB per archive (m2d); undefined: the default. */
  readonly archiveSize?: number;
  readonly platform?: PlatformSpec;
  readonly operators: readonly OperatorSpec[];
  readonly additionalImages: readonly AdditionalImage[];
  readonly blockedImages: readonly BlockedImage[];
  /** `mirror.helm` (config-helm.ts). */
  readonly helm?: HelmSpec;
  /** `mirror.samples` (config-samples.ts). */
  readonly samples?: SamplesSpec;
  /** Lines for the user (deprecation notice and field mapping of a v1alpha2 file). */
  readonly notices: readonly string[];
}

/** DeleteImageSetConfiguration (reference §5.3, §5.11): the same sections under `delete:`, no blockedImages. */
export interface DeleteImageSetConfig {
  readonly file: string;
  readonly platform?: PlatformSpec;
  readonly operators: readonly OperatorSpec[];
  readonly additionalImages: readonly AdditionalImage[];
}
