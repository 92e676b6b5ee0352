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
  /** Bytes of a blob that crossed (emitted while streaming, for progress). */
  | { readonly type: 'bytes'; readonly n: number }
  | { readonly type: 'manifest'; readonly dst: string; readonly digest: Digest; readonly tag?: string; readonly child: boolean }
  | { readonly type: 'image'; readonly src: string; readonly dst: string; readonly digest: Digest; readonly tag?: string; readonly skipped: boolean }
  | { readonly type: 'retry'; readonly what: string; readonly attempt: number; readonly delayMs: number; readonly error: string }
  | { readonly type: 'warning'; readonly message: string };

export type EventSink = (e: CopyEvent) => void;
