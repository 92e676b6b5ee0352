/**
 * Whiteout bookkeeping for a walk over an image's layers from the top-most
 * down: `.wh.NAME` in a layer hides NAME (and everything under it) in the
 * layers below; `.wh..wh..opq` in a directory hides what the layers below
 * hold in that directory. A layer's whiteouts never hide its own entries, so
 * they take effect at endLayer().
 */
import type { LayerEntry } from './layer-tar.js';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_WHITEOUT = '.wh..wh..opq';

export class Whiteouts {
  private readonly deleted = new Set<string>();
  private readonly opaque = new Set<string>();
  private pending: { deleted: string[]; opaque: string[] } = { deleted: [], opaque: [] };

  /** Records a whiteout entry; returns true when `entry` was one (it is never written). */
  note(entry: LayerEntry): boolean {
    const slash = entry.path.lastIndexOf('/');
    const dir = slash < 0 ? '' : entry.path.slice(0, slash);
    const base = entry.path.slice(slash + 1);
    if (base === OPAQUE_WHITEOUT) {
      this.pending.opaque.push(dir);
      return true;
    }
    if (base.startsWith(WHITEOUT_PREFIX)) {
      this.pending.deleted.push(dir === '' ? base.slice(WHITEOUT_PREFIX.length) : `${dir}/${base.slice(WHITEOUT_PREFIX.length)}`);
      return true;
    }
    return false;
  }

  /** Call after each layer: its whiteouts now apply to the layers still to come. */
  endLayer(): void {
    for (const d of this.pending.deleted) this.deleted.add(d);
    for (const d of this.pending.opaque) this.opaque.add(d);
    this.pending = { deleted: [], opaque: [] };
  }

  /** True when a layer below the ones seen cannot provide `path`. */
  hides(path: string): boolean {
    if (this.opaque.has('') && path !== '') return true;
    const parts = path.split('/');
    let prefix = '';
    for (let i = 0; i < parts.length; i++) {
      prefix = i === 0 ? parts[0]! : `${prefix}/${parts[i]}`;
      if (this.deleted.has(prefix)) return true;
      if (i < parts.length - 1 && this.opaque.has(prefix)) return true;
    }
    return false;
  }

  /** True when a layer below the ones seen cannot provide anything under `dir` (hidden, or made opaque). */
  seals(dir: string): boolean {
    return this.opaque.has(dir) || this.opaque.has('') || this.hides(dir);
  }
}
