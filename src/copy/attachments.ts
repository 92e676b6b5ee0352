/**
 * What travels with an image: cosign signatures, attestations and SBOMs
 * (tags `sha256-<hex>.sig`, `.att`, `.sbom`), the OCI referrers fallback tag
 * (`sha256-<hex>`), and manifests that name the image as their `subject`
 * (the referrers API). They are copied as images of their own, byte for byte.
 */
import { parseDigest, type Digest } from '../oci/digest.js';
import type { BlobInfo, ImageSource } from '../transports/types.js';

export interface Attachments {
  /** Tags in the source repository attached to the digests. */
  readonly tags: readonly string[];
  /** Referrer manifests (by digest). */
  readonly referrers: readonly BlobInfo[];
}

/** `sha256-<hex>`: the tag prefix cosign and the referrers fallback use for `digest`. */
export function attachmentTagPrefix(digest: Digest): string {
  const p = parseDigest(digest);
  return `${p.algorithm}-${p.hex}`;
}

/** Finds attachments, listing each source repository's tags once per run. */
export class AttachmentFinder {
  private readonly tagLists = new Map<ImageSource, Promise<readonly string[]>>();

  private tags(src: ImageSource, signal?: AbortSignal): Promise<readonly string[]> {
    let p = this.tagLists.get(src);
    if (p === undefined) {
      p = (async () => {
        if (!src.caps.listTags) return [];
        const out: string[] = [];
        for await (const t of src.listTags(signal)) if (t.startsWith('sha256-') || t.startsWith('sha512-')) out.push(t);
        return out.sort();
      })();
      this.tagLists.set(src, p);
    }
    return p;
  }

  async find(src: ImageSource, digests: readonly Digest[], signal?: AbortSignal): Promise<Attachments> {
    const all = await this.tags(src, signal);
    const tags = new Set<string>();
    const referrers = new Map<Digest, BlobInfo>();
    for (const d of new Set(digests)) {
      const prefix = attachmentTagPrefix(d);
      for (const t of all) if (t === prefix || t.startsWith(`${prefix}.`)) tags.add(t);
      if (src.caps.referrers) for (const r of await src.listReferrers(d, signal)) referrers.set(r.digest, r);
    }
    return { tags: [...tags], referrers: [...referrers.values()] };
  }
}
