/**
 * Reads a layer blob as a tar stream, verified against its digest while it
 * flows (the whole blob is always read, so a wrong blob fails even when the
 * wanted file came early). Entry names are normalized and refused when they
 * are absolute or climb out with `..`; links are reported, never followed.
 */
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract, type Header } from 'tar-stream';
import type { BlobInfo, ImageSource } from '../transports/types.js';
import { verified } from '../transports/verify-stream.js';

export class UnsafeTarEntryError extends Error {
  readonly code = 'ERR_UNSAFE_TAR_ENTRY';
}

export interface LayerEntry {
  /** Normalized path (no leading `./` or `/`, no `.` components). */
  readonly path: string;
  readonly type: Header['type'];
  readonly size: number;
  readonly mode: number;
  readonly linkname?: string;
  readonly mtime?: Date;
}

/** Normalizes a tar entry name; throws for absolute names and `..` components. */
export function safeEntryPath(name: string): string {
  if (name.startsWith('/')) throw new UnsafeTarEntryError(`refusing tar entry with an absolute path: ${name}`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new UnsafeTarEntryError(`refusing tar entry that climbs out with "..": ${name}`);
  if (parts.some((p) => p.includes('\0'))) throw new UnsafeTarEntryError(`refusing tar entry with a NUL byte: ${JSON.stringify(name)}`);
  return parts.join('/');
}

/** True when a link at `entryPath` pointing at `target` would leave the root. */
export function linkEscapes(entryPath: string, target: string): boolean {
  if (target.startsWith('/')) return true;
  const stack = entryPath.split('/').slice(0, -1);
  for (const p of target.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') {
      if (stack.length === 0) return true;
      stack.pop();
    } else stack.push(p);
  }
  return false;
}

export type EntryVisitor = (entry: LayerEntry, body: Readable) => Promise<void> | void;

/**
 * Streams `layer` from `src` and calls `visit` for each entry; the visitor
 * must consume `body` or leave it (it is drained afterwards). Resolves after
 * the whole blob was read and its digest checked.
 */
export async function walkLayer(src: ImageSource, layer: BlobInfo, visit: EntryVisitor, signal?: AbortSignal): Promise<void> {
  const mt = layer.mediaType ?? '';
  if (mt.includes('zstd')) throw new Error(`layer ${layer.digest}: zstd-compressed layers are not supported (${mt})`);
  const body = verified(await src.getBlob(layer, { signal }), layer);
  const extract = tarExtract();
  const stages: NodeJS.ReadWriteStream[] = mt.includes('gzip') || mt === '' ? [createGunzip()] : [];
  const done = pipeline([body, ...stages, extract] as unknown as [Readable, NodeJS.WritableStream], { signal });
  done.catch(() => undefined);
  try {
    for await (const e of extract) {
      const h = e.header;
      let entry: LayerEntry;
      try {
        entry = { path: safeEntryPath(h.name), type: h.type, size: h.size ?? 0, mode: h.mode ?? 0o644, linkname: h.linkname ?? undefined, mtime: h.mtime };
      } catch (err) {
        e.resume();
        throw new UnsafeTarEntryError(`layer ${layer.digest}: ${(err as Error).message}`);
      }
      await visit(entry, e as unknown as Readable);
      e.resume();
    }
  } catch (err) {
    body.destroy();
    throw err;
  }
  await done;
}

/** Reads a whole (small) entry body, refusing more than `limit` bytes. */
export async function readEntry(body: Readable, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) throw new Error(`${what}: larger than ${limit} bytes`);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/**
 * Whiteout bookkeeping for a top-most-first walk: is `path` hidden by an
 * upper layer? A layer's whiteouts hide only the layers below it, so they
 * take effect at endLayer().
 */
export class Whiteouts {
  private readonly deleted = new Set<string>();
  private readonly opaque = new Set<string>();
  private pending: { deleted: string[]; opaque: string[] } = { deleted: [], opaque: [] };

  /** Records a whiteout entry; returns true when `entry` was one. */
  note(entry: LayerEntry): boolean {
    const slash = entry.path.lastIndexOf('/');
    const dir = slash < 0 ? '' : entry.path.slice(0, slash);
    const base = entry.path.slice(slash + 1);
    if (base === '.wh..wh..opq') {
      this.pending.opaque.push(dir);
      return true;
    }
    if (base.startsWith('.wh.')) {
      this.pending.deleted.push(dir === '' ? base.slice(4) : `${dir}/${base.slice(4)}`);
      return true;
    }
    return false;
  }

  endLayer(): void {
    for (const d of this.pending.deleted) this.deleted.add(d);
    for (const d of this.pending.opaque) this.opaque.add(d);
    this.pending = { deleted: [], opaque: [] };
  }

  /** True when a layer below the ones seen cannot provide `path`. */
  hides(path: string): boolean {
    const parts = path.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      if (this.deleted.has(prefix)) return true;
      if (i < parts.length && this.opaque.has(prefix)) return true;
    }
    return false;
  }
}
