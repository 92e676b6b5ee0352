/**
 * Puts each visible layer entry into every target that selects it, with the
 * safety rules of `image extract`:
 *
 * - symbolic links as link-target.ts plans them: an absolute target is
 *   rewritten relative, to the same image path inside the target directory,
 *   or the link is left out with a warning when that path is outside it; a
 *   relative target climbing above the target directory is refused;
 * - a hard link must name a regular file of the image (a root-relative name
 *   without `..`) that this target also extracts; one to a file of a lower
 *   layer is made when that file streams by; one to a file outside the
 *   selection, to a non-regular file, or to nothing is refused;
 * - device nodes, fifos and unknown types are skipped with a warning;
 * - --only-files keeps regular files and directories only (links skipped);
 * - modes: the header's permission bits; setuid/setgid/sticky and the
 *   owner (uid/gid, applied only when running as root) only with
 *   --preserve-ownership.
 */
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { UnsafeTarEntryError, safeEntryPath, type LayerEntry } from './layer-tar.js';
import { kindOf, type EntryKind, type LayerStack } from './layer-stack.js';
import { planLink } from './link-target.js';
import type { ExtractSink } from './sink.js';
import type { EntryMeta } from './staging.js';
import type { ExtractTarget } from './targets.js';

/** One entry as it is (or, with --dry-run, would be) written. */
export interface ExtractedEntry {
  /** Absolute destination path. */
  readonly path: string;
  readonly type: Exclude<EntryKind, 'other'>;
  readonly mode: number;
  readonly size: number;
  /** Index of the layer it came from (0 = bottom). */
  readonly layer: number;
  readonly layerDigest: string;
  /** Symbolic link: its target as written (an absolute one rewritten relative); hard link: the destination path it links to. */
  readonly linkname?: string;
}

export interface WriterOptions {
  readonly onlyFiles: boolean;
  readonly preserveOwnership: boolean;
  /** True when running as root: ownership can be applied. */
  readonly root: boolean;
  readonly warn: (message: string) => void;
  readonly onEntry?: (e: ExtractedEntry) => void;
}

interface Waiter {
  readonly target: number;
  readonly rel: string;
  readonly what: string;
}

interface Where {
  readonly layer: number;
  readonly digest: string;
}

export class EntryWriter {
  /** Entries and file bytes written per target. */
  readonly counts: { entries: number; bytes: number }[];
  private readonly pending = new Map<string, Waiter[]>();

  constructor(
    private readonly targets: readonly ExtractTarget[],
    private readonly sinks: readonly ExtractSink[],
    private readonly o: WriterOptions,
  ) {
    this.counts = targets.map(() => ({ entries: 0, bytes: 0 }));
  }

  /** Hard links still waiting for their target. */
  get waiting(): number {
    return this.pending.size;
  }

  private meta(e: LayerEntry): EntryMeta {
    return {
      mode: e.mode & (this.o.preserveOwnership ? 0o7777 : 0o777),
      ...(e.mtime !== undefined && !Number.isNaN(e.mtime.getTime()) ? { mtime: e.mtime } : {}),
      ...(this.o.preserveOwnership && this.o.root ? { owner: { uid: e.uid, gid: e.gid } } : {}),
    };
  }

  private emit(t: number, rel: string, e: LayerEntry, type: ExtractedEntry['type'], at: Where, linkname?: string): void {
    this.counts[t]!.entries++;
    if (type === 'file') this.counts[t]!.bytes += e.size;
    this.o.onEntry?.({ path: join(this.targets[t]!.to, rel), type, mode: this.meta(e).mode, size: type === 'file' ? e.size : 0, layer: at.layer, layerDigest: at.digest, ...(linkname !== undefined ? { linkname } : {}) });
  }

  /** Handles one entry that `stack` found visible (new, dir-meta or replace). */
  async entry(e: LayerEntry, at: Where, body: Readable, stack: LayerStack): Promise<void> {
    const kind = kindOf(e.type);
    const selected = this.targets.map((t) => t.selector.map(e.path)).map((rel) => (rel === '' ? undefined : rel));
    if (kind === 'other') {
      if (!this.o.onlyFiles && selected.some((r) => r !== undefined)) {
        this.o.warn(`skipping ${e.type ?? 'unknown-type entry'} /${e.path} in layer ${at.digest}: device nodes, fifos and unknown entry types are not extracted`);
      }
      return;
    }
    if (this.o.onlyFiles && (kind === 'symlink' || kind === 'hardlink')) return;
    let firstCopy: string | undefined;
    for (let t = 0; t < this.targets.length; t++) {
      const rel = selected[t];
      if (rel === undefined) continue;
      const sink = this.sinks[t]!;
      if (kind === 'dir') {
        await sink.dir(rel, this.meta(e));
        this.emit(t, rel, e, 'dir', at);
      } else if (kind === 'file') {
        if (firstCopy !== undefined) await sink.copyOf(rel, firstCopy, this.meta(e));
        else {
          await sink.file(rel, body as AsyncIterable<Buffer>, this.meta(e), e.size);
          firstCopy = sink.pathOf(rel);
        }
        this.emit(t, rel, e, 'file', at);
      } else if (kind === 'symlink') {
        await this.symlink(t, rel, e, at);
      } else {
        await this.hardlink(t, rel, e, at, stack);
      }
    }
    if (kind === 'file' || this.pending.has(e.path)) await this.satisfy(e, kind, at, body, firstCopy);
  }

  private async symlink(t: number, rel: string, e: LayerEntry, at: Where): Promise<void> {
    const target = e.linkname ?? '';
    const { arg, selector, to } = this.targets[t]!;
    const plan = planLink(rel, target, selector.root);
    if (plan.kind === 'refused') {
      throw new UnsafeTarEntryError(`layer ${at.digest}: refusing symbolic link /${e.path} -> ${target}: ${plan.why} (extracting to ${to}; use --only-files to leave links out)`);
    }
    if (plan.kind === 'outside') {
      this.o.warn(`leaving out symbolic link /${e.path} -> ${target} (layer ${at.digest}): ${plan.imagePath} is outside /${selector.root}, which ${arg} extracts; extract a path that holds both`);
      return;
    }
    await this.sinks[t]!.symlink(rel, plan.text, this.meta(e));
    this.emit(t, rel, e, 'symlink', at, plan.text);
  }

  private async hardlink(t: number, rel: string, e: LayerEntry, at: Where, stack: LayerStack): Promise<void> {
    const what = `hard link /${e.path} -> ${e.linkname ?? ''} in layer ${at.digest}`;
    let target: string;
    try {
      target = safeEntryPath(e.linkname ?? '');
    } catch (err) {
      throw new UnsafeTarEntryError(`refusing ${what}: ${(err as Error).message.replace('refusing tar entry', 'its target is a name')}`);
    }
    if (target === '' || target === e.path) throw new UnsafeTarEntryError(`refusing ${what}: it does not name another file`);
    const sink = this.sinks[t]!;
    const targetRel = this.targets[t]!.selector.map(target);
    if (targetRel !== undefined && targetRel !== '' && sink.kind(targetRel) === 'file') {
      await sink.hardlink(rel, targetRel);
      this.emit(t, rel, e, 'hardlink', at, join(this.targets[t]!.to, targetRel));
      return;
    }
    const seen = stack.winner(target);
    if (seen === 'file' || seen === 'hardlink') {
      throw new UnsafeTarEntryError(`refusing ${what}: /${target} is not extracted by ${this.targets[t]!.arg}; extract a path that holds both`);
    }
    if (seen !== undefined) throw new UnsafeTarEntryError(`refusing ${what}: /${target} is a ${seen === 'dir' ? 'directory' : seen === 'symlink' ? 'symbolic link' : 'special file'}, not a regular file`);
    const list = this.pending.get(target) ?? [];
    list.push({ target: t, rel, what });
    this.pending.set(target, list);
    this.emit(t, rel, e, 'hardlink', at, targetRel !== undefined && targetRel !== '' ? join(this.targets[t]!.to, targetRel) : `/${target}`);
  }

  /** Creates the hard links that waited for `e` (a file of this or a lower layer). */
  private async satisfy(e: LayerEntry, kind: EntryKind, at: Where, body: Readable, firstCopy: string | undefined): Promise<void> {
    const waiters = this.pending.get(e.path);
    if (waiters === undefined) return;
    this.pending.delete(e.path);
    if (kind !== 'file') throw new UnsafeTarEntryError(`refusing ${waiters[0]!.what}: /${e.path} (layer ${at.digest}) is not a regular file`);
    let copy = firstCopy;
    for (const w of waiters) {
      const sink = this.sinks[w.target]!;
      const own = this.targets[w.target]!.selector.map(e.path);
      if (own !== undefined && own !== '' && sink.kind(own) === 'file') await sink.hardlink(w.rel, own);
      else if (copy !== undefined) await sink.copyOf(w.rel, copy, this.meta(e));
      else {
        await sink.file(w.rel, body as AsyncIterable<Buffer>, this.meta(e), e.size);
        copy = sink.pathOf(w.rel);
      }
    }
  }

  /** After the walk: hard links whose target never came are an error. */
  unresolved(): string[] {
    return [...this.pending].flatMap(([target, ws]) => ws.map((w) => `refusing ${w.what}: the image has no file /${target} to link to`));
  }
}
