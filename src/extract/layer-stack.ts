/**
 * The union of an image's layers, decided entry by entry while walking them
 * from the top-most down (so the first occurrence of a path wins). This is
 * the one copy of these rules: image-walk.ts decides every entry with it, for
 * `image extract` and every other reader of an image's files.
 *
 * - whiteouts (`.wh.NAME`, `.wh..wh..opq`) hide what lower layers hold;
 * - a path an upper layer already provided is not taken from a lower one,
 *   except that two directories merge (a lower layer may add entries, and
 *   gives its mode to a directory the upper layers only implied);
 * - a non-directory (file, link, device) in an upper layer hides a lower
 *   layer's directory of the same name and everything under it;
 * - inside one layer, a later entry replaces an earlier one of the same name
 *   (as tar does), and an entry below a link or file of the same layer is
 *   refused: writing it would go through that link.
 *
 * Bookkeeping is one small record per visible path of the image.
 */
import { UnsafeTarEntryError, type EntryType, type LayerEntry } from './layer-tar.js';
import { Whiteouts } from './whiteouts.js';

export type EntryKind = 'dir' | 'file' | 'symlink' | 'hardlink' | 'other';

export function kindOf(type: EntryType): EntryKind {
  switch (type) {
    case 'directory':
      return 'dir';
    case 'file':
    case 'contiguous-file':
      return 'file';
    case 'symlink':
      return 'symlink';
    case 'link':
      return 'hardlink';
    default:
      return 'other';
  }
}

/**
 * `new`: the entry is visible and its path was not seen yet; `dir-meta`: a
 * directory implied by upper layers, whose header this is (apply its mode);
 * `replace`: a later entry of the same layer replaces an earlier one;
 * `whiteout` / `hidden`: nothing to write.
 */
export type Decision = 'new' | 'dir-meta' | 'replace' | 'whiteout' | 'hidden';

interface Winner {
  kind: EntryKind;
  layer: number;
  explicit: boolean;
}

export class LayerStack {
  private readonly whiteouts = new Whiteouts();
  private readonly winners = new Map<string, Winner>();

  /** Decides `entry` of layer `layer` (indexes count down as the walk goes down); throws UnsafeTarEntryError. */
  decide(entry: LayerEntry, layer: number, layerDigest: string): Decision {
    if (entry.path === '') return 'hidden';
    const whiteout = this.whiteouts.note(entry);
    if (this.whiteouts.hides(entry.path)) return whiteout ? 'whiteout' : 'hidden';
    const kind = kindOf(entry.type);
    const parts = entry.path.split('/');
    let prefix = '';
    for (let i = 0; i < parts.length - 1; i++) {
      prefix = i === 0 ? parts[0]! : `${prefix}/${parts[i]}`;
      const w = this.winners.get(prefix);
      if (w === undefined || w.kind === 'dir') continue;
      if (w.layer !== layer || whiteout) return whiteout ? 'whiteout' : 'hidden';
      throw new UnsafeTarEntryError(`layer ${layerDigest}: refusing ${entry.path}: ${prefix} is a ${w.kind === 'symlink' ? 'symbolic link' : w.kind} in the same layer, and writing through it could leave the target directory`);
    }
    if (whiteout) {
      this.implyParents(parts, layer);
      return 'whiteout';
    }
    const w = this.winners.get(entry.path);
    if (w === undefined) {
      this.implyParents(parts, layer);
      this.winners.set(entry.path, { kind, layer, explicit: true });
      return 'new';
    }
    if (w.kind === 'dir' && kind === 'dir') {
      if (w.explicit) return 'hidden';
      w.explicit = true;
      return 'dir-meta';
    }
    if (w.layer !== layer) return 'hidden';
    if (w.kind === 'dir' || kind === 'dir') {
      throw new UnsafeTarEntryError(`layer ${layerDigest}: ${entry.path} appears twice, as a directory and as a ${w.kind === 'dir' ? kind : w.kind}; refusing the layer`);
    }
    w.kind = kind;
    return 'replace';
  }

  /** Records the directories an entry of `layer` implies (those not seen yet). */
  private implyParents(parts: readonly string[], layer: number): void {
    let prefix = '';
    for (let i = 0; i < parts.length - 1; i++) {
      prefix = i === 0 ? parts[0]! : `${prefix}/${parts[i]}`;
      if (!this.winners.has(prefix)) this.winners.set(prefix, { kind: 'dir', layer, explicit: false });
    }
  }

  /** Call after each layer (its whiteouts then apply to the layers below). */
  endLayer(): void {
    this.whiteouts.endLayer();
  }

  /** What won at `path` so far, if anything. */
  winner(path: string): EntryKind | undefined {
    return this.winners.get(path)?.kind;
  }

  /** The nearest ancestor of `path` that is a symbolic link in the image, if any. */
  linkAbove(path: string): string | undefined {
    const parts = path.split('/');
    for (let i = parts.length - 1; i >= 1; i--) {
      const a = parts.slice(0, i).join('/');
      if (this.winners.get(a)?.kind === 'symlink') return a;
    }
    return undefined;
  }

  /** True when no layer still to come can add anything at or under `path`. */
  settled(path: string): boolean {
    if (this.whiteouts.hides(path)) return true;
    const w = this.winners.get(path);
    if (w !== undefined && w.kind !== 'dir') return true;
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const a = this.winners.get(parts.slice(0, i).join('/'));
      if (a !== undefined && a.kind !== 'dir') return true;
    }
    return false;
  }

  /** True when no layer still to come can add anything under `path` (settled, or an opaque directory). */
  closed(path: string): boolean {
    return this.settled(path) || this.whiteouts.seals(path);
  }
}
