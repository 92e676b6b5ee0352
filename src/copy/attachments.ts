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

  /**
   * Starts listing `src`'s tags now (a mirror does it while the image is
   * copied, so the listing costs no round trip of its own); a failure
   * surfaces in find().
   */
  prefetch(src: ImageSource, signal?: AbortSignal): void {
    this.tags(src, signal).catch(() => undefined);
  }

  async find(src: ImageSource, digests: readonly Digest[], signal?: AbortSignal): Promise<Attachments> {
    const all = await this.tags(src, signal);
    const tags = new Set<string>();
    const referrers = new Map<Digest, BlobInfo>();
    const unique = [...new Set(digests)];
    for (const d of unique) {
      const prefix = attachmentTagPrefix(d);
      for (const t of all) if (t === prefix || t.startsWith(`${prefix}.`)) tags.add(t);
    }
    // One round trip for all the digests (a list and its children), not one each.
    if (src.caps.referrers) for (const list of await Promise.all(unique.map((d) => src.listReferrers(d, signal)))) for (const r of list) referrers.set(r.digest, r);
    return { tags: [...tags], referrers: [...referrers.values()] };
  }
}
