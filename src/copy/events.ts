/** What the copy engine reports while it works (progress, plans, summaries). */
import type { Digest } from '../oci/digest.js';

/**
 * How a blob reached (or was found at) a destination:
 * - `uploaded`: its bytes crossed to the destination;
 * - `mounted`: linked from another repository of the same store;
 * - `exists`: the destination already had it (HEAD/stat);
 * - `deduped`: another image of this run already put it there.
 */
export type BlobAction = 'uploaded' | 'mounted' | 'exists' | 'deduped';

export type CopyEvent =
  | { readonly type: 'blob'; readonly src: string; readonly dst: string; readonly digest: Digest; readonly size: number; readonly action: BlobAction; readonly from?: string }
  /**
   * Bytes of a blob that crossed (emitted while streaming, for progress). A
   * failed attempt is taken back with a negative `n` before it is retried.
   */
  | { readonly type: 'bytes'; readonly n: number }
  /**
   * An image's tree is known: `bytes` (the sum of its unique blobs) will be
   * checked at each of `targets` destinations. `attachment`: a signature,
   * attestation or referrer copied along with an image.
   */
  | { readonly type: 'resolved'; readonly src: string; readonly digest: Digest; readonly blobs: number; readonly bytes: number; readonly targets: number; readonly attachment: boolean }
  /** `rewrittenFrom`: the top manifest is a filtered replacement of that source digest. */
  | { readonly type: 'manifest'; readonly dst: string; readonly digest: Digest; readonly tag?: string; readonly child: boolean; readonly rewrittenFrom?: Digest }
  /**
   * An image is at a destination. `bytesUnvisited`: blob bytes never looked at
   * because the image (or its manifest, for a re-tag) was already there.
   */
  | {
      readonly type: 'image';
      readonly src: string;
      readonly dst: string;
      readonly digest: Digest;
      readonly tag?: string;
      readonly skipped: boolean;
      readonly bytesUnvisited: number;
      readonly rewrittenFrom?: Digest;
      readonly attachment: boolean;
    }
  /** A mirror run starts `images` image copies (jobs × destinations; attachments not counted). */
  | { readonly type: 'planned'; readonly images: number }
  /** A source failed (or is missing): its `targets` destinations will not get it. */
  | { readonly type: 'failed'; readonly source: string; readonly targets: number; readonly missing: boolean; readonly message: string }
  | { readonly type: 'retry'; readonly what: string; readonly attempt: number; readonly delayMs: number; readonly error: string }
  | { readonly type: 'warning'; readonly message: string };

export type EventSink = (e: CopyEvent) => void;
