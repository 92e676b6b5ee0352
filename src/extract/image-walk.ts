/**
 * The one walk over an image's file system: layers are read from the
 * top-most down (each with layer-tar.ts, so every byte read is
 * digest-verified, names normalized, `..` and absolute names refused) and
 * every entry is decided by layer-stack.ts, which owns the union rules: the
 * first occurrence of a path wins, whiteouts and opaque whiteouts hide the
 * layers below, a non-directory hides a lower directory (and a directory a
 * lower non-directory), and an entry below a link or file of its own layer
 * is refused.
 *
 * The visitor sees only VISIBLE entries, never a whiteout, never the root.
 * With `under`, it sees only entries at or below those paths, and entries
 * elsewhere are not even recorded (a broken part of the image that cannot
 * change them does not matter); the walk then stops at the first layer
 * below which none of them can change. The visitor may consume the body or
 * leave it (it is drained), and may return 'stop': no more entries are
 * handed out, the current layer is still read to its end (its digest is
 * checked) and the layers below are never fetched.
 */
import type { Readable } from 'node:stream';
import type { BlobInfo, ImageSource } from '../transports/types.js';
import { LayerStack, type Decision } from './layer-stack.js';
import { walkLayer, type LayerEntry } from './layer-tar.js';
import { OPAQUE_WHITEOUT, WHITEOUT_PREFIX } from './whiteouts.js';

/** Where a visible entry came from, and how it relates to what was handed out before. */
export interface VisibleAt {
  /** Index of the layer in the manifest (0 is the bottom-most). */
  readonly layer: number;
  readonly digest: string;
  /**
   * `new`: the path was not handed out before; `dir-meta`: the header of a
   * directory upper layers only implied; `replace`: a later entry of the
   * same layer replaces the one handed out before (as tar does).
   */
  readonly decision: Exclude<Decision, 'whiteout' | 'hidden'>;
}

export type ImageVisitor = (entry: LayerEntry, body: Readable, at: VisibleAt) => Promise<'stop' | void> | 'stop' | void;

export interface WalkImageOptions {
  /** Image paths (leading and trailing `/` ignored; `/` is everything) whose entries the visitor wants. Default: everything. */
  readonly under?: readonly string[];
  readonly visit: ImageVisitor;
  /** Asked after each layer: true ends the walk there (the view tells what is settled). */
  readonly stopAfterLayer?: (view: LayerStack) => boolean;
  /** A view to decide with (to inspect it afterwards); a new one by default. */
  readonly view?: LayerStack;
  readonly signal?: AbortSignal;
}

export interface WalkResult {
  /** Layers fetched and read to their end. */
  readonly layersRead: number;
  /** The union as far as it was walked. */
  readonly view: LayerStack;
}

/** Normalized image path: no leading or trailing `/`, no empty or `.` components ('' is the root). */
export function imagePath(p: string): string {
  return p
    .split('/')
    .filter((c) => c !== '' && c !== '.')
    .join('/');
}

const within = (path: string, top: string): boolean => top === '' || path === top || path.startsWith(`${top}/`);

/** The path an entry is about: the path a whiteout hides, the directory an opaque whiteout seals, else its own. */
function subjectOf(path: string): string {
  const slash = path.lastIndexOf('/');
  const base = path.slice(slash + 1);
  if (base === OPAQUE_WHITEOUT) return slash < 0 ? '' : path.slice(0, slash);
  if (base.startsWith(WHITEOUT_PREFIX)) return `${path.slice(0, slash + 1)}${base.slice(WHITEOUT_PREFIX.length)}`;
  return path;
}

/**
 * Walks the layers of one image (`layers` in manifest order, bottom-most
 * first) from the top-most down; see the file comment. Rejects with
 * UnsafeTarEntryError, DigestMismatchError (naming the layer), or whatever
 * the visitor throws; a layer is fetched only when the walk reaches it.
 */
export async function walkImage(src: ImageSource, layers: readonly BlobInfo[], o: WalkImageOptions): Promise<WalkResult> {
  const view = o.view ?? new LayerStack();
  const tops = o.under?.map(imagePath);
  const wanted = (path: string): boolean => tops === undefined || tops.some((t) => within(path, t));
  const related = (path: string): boolean => tops === undefined || tops.some((t) => within(path, t) || within(t, path));
  let stopped = false;
  let read = 0;
  for (let i = layers.length - 1; i >= 0 && !stopped; i--) {
    const layer = layers[i]!;
    await walkLayer(
      src,
      layer,
      async (entry, body) => {
        if (stopped || !related(subjectOf(entry.path))) return;
        const decision = view.decide(entry, i, layer.digest);
        if (decision === 'whiteout' || decision === 'hidden' || !wanted(entry.path)) return;
        if ((await o.visit(entry, body, { layer: i, digest: layer.digest, decision })) === 'stop') stopped = true;
      },
      o.signal,
    );
    view.endLayer();
    read++;
    if (o.stopAfterLayer?.(view) || (tops !== undefined && tops.every((t) => view.closed(t)))) break;
  }
  return { layersRead: read, view };
}
