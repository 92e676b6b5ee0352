/**
 * The composition point of transports: the one list of them, and the
 * functions everyone else uses on references. Adding a transport is one
 * folder exporting its `Transport` plus one entry in TRANSPORTS; the
 * `ImageReference` union widens by itself.
 *
 * Text forms, by prefix (each transport's file documents its own):
 *   docker://HOST/REPO[:TAG][@DIGEST]   a registry (the prefix is optional)
 *   oci:PATH[:REF]                      an OCI image layout directory
 *   file://[/]REPO[:TAG][@DIGEST]       oc's disk store under --dir/--from-dir
 *   archive://REPO[:TAG][@DIGEST]       the archive set of the run (mirror to disk / disk to mirror)
 */
import type { Digest } from '../oci/digest.js';
import { InvalidReferenceError, type ImageName, type ParseNameOptions, type RegistryRef } from '../reference/image-name.js';
import { archiveTransport } from './archive/archive-transport.js';
import { fileStoreTransport } from './file-store/file-transport.js';
import { ociLayoutTransport } from './oci-layout/layout-transport.js';
import { registryTransport } from './registry/registry-transport.js';
import type { Selector, Transport, TransportReference } from './transport.js';

export const TRANSPORTS = [registryTransport, ociLayoutTransport, fileStoreTransport, archiveTransport] as const;

type ReferenceOf<T> = T extends Transport<infer R> ? R : never;

/** A parsed reference of any listed transport (discriminated by `transport`). */
export type ImageReference = ReferenceOf<(typeof TRANSPORTS)[number]>;

export type { DockerReference } from './registry/registry-transport.js';
export type { OciReference } from './oci-layout/layout-transport.js';
export type { FileReference } from './file-store/file-transport.js';
export type { ArchiveReference } from './archive/archive-transport.js';
export type TransportName = ImageReference['transport'];

const LIST: readonly Transport[] = TRANSPORTS as unknown as readonly Transport[];

/** The transport that parsed `ref`. */
export function transportOf(ref: TransportReference): Transport {
  const t = LIST.find((x) => x.name === ref.transport);
  if (t === undefined) throw new Error(`no transport named ${ref.transport}`);
  return t;
}

/** Other tools' transport names, refused by name rather than read as a registry host. */
const FOREIGN = /^([a-z][a-z0-9+.-]*:\/\/|(dir|oci-archive|docker-archive|containers-storage|docker-daemon|s3):)/;

/** Parses a transport-qualified reference: the transport owning the longest matching prefix, else the bare one. Throws InvalidReferenceError. */
export function parseImageReference(input: string, opts: ParseNameOptions = {}): ImageReference {
  let owner: Transport | undefined;
  let longest = -1;
  for (const t of LIST) for (const p of t.prefixes) if (input.startsWith(p) && p.length > longest) [owner, longest] = [t, p.length];
  if (owner === undefined) {
    owner = LIST.find((t) => t.bare === true);
    if (owner === undefined || FOREIGN.test(input)) {
      throw new InvalidReferenceError(input, `unsupported transport (supported: ${LIST.flatMap((t) => t.prefixes).join(', ')})`);
    }
  } else if (owner.bare === true && FOREIGN.test(input.slice(longest))) {
    // docker://oci:… or docker://s3://…: not a registry name either
    throw new InvalidReferenceError(input, `unsupported transport (supported: ${LIST.flatMap((t) => t.prefixes).join(', ')})`);
  }
  return owner.parse(input, opts) as ImageReference;
}

/** Inverse of parseImageReference. */
export function formatImageReference(r: TransportReference): string {
  return transportOf(r).format(r);
}

/** The repository part of a reference: `host/repo`, `file://repo` or `oci:PATH` (no tag, digest or docker:// prefix). */
export function repositoryText(r: TransportReference): string {
  return transportOf(r).repositoryText(r);
}

/** The tag/ref name or digest the reference selects inside its repository (the digest when both), if any. */
export function referenceWithin(r: TransportReference): string | undefined {
  const s = transportOf(r).selector(r);
  return s.digest ?? s.tag;
}

export function selectorOf(r: TransportReference): Selector {
  return transportOf(r).selector(r);
}

/** The same repository selecting `tag` (any digest dropped). */
export function withTag<R extends TransportReference>(r: R, tag: string): R {
  return transportOf(r).withSelector(r, { tag }) as R;
}

/** The same repository selecting `digest` (any tag dropped). */
export function withDigest<R extends TransportReference>(r: R, digest: Digest): R {
  return transportOf(r).withSelector(r, { digest }) as R;
}

/** The repository itself (no selector). */
export function withoutSelector<R extends TransportReference>(r: R): R {
  return transportOf(r).withSelector(r, {}) as R;
}

/** `[host/]repository[:tag][@digest]`, when the transport names images that way (see Transport.imageName). */
export function imageNameOf(r: TransportReference): ImageName | undefined {
  return transportOf(r).imageName(r);
}

/** The registry image, when `r` names one reached over the distribution API. */
export function registryNameOf(r: TransportReference): RegistryRef | undefined {
  return transportOf(r).registryName(r);
}

/** How a reference's selector is called in errors (`a tag or a digest`). */
export function selectorWords(r: TransportReference): string {
  return transportOf(r).selectorWords;
}
