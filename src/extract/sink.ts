/**
 * Where the entries selected for one target directory go: a StagingTree
 * (real run) or a DryRunSink (--dry-run: bookkeeping only, nothing written,
 * bodies left for the layer walk to drain).
 */
import type { EntryMeta } from './staging.js';

export type Staged = 'dir' | 'file' | 'symlink';

export interface ExtractSink {
  /** What was put at `rel` (relative to the target directory), if anything. */
  kind(rel: string): Staged | undefined;
  /** A path another sink can copy the regular file at `rel` from. */
  pathOf(rel: string): string;
  /** Makes a directory (and its parents); `meta` is applied at commit. */
  dir(rel: string, meta?: EntryMeta): Promise<void>;
  /** Writes a regular file of `size` bytes from `body` (large files are streamed, never buffered whole). */
  file(rel: string, body: AsyncIterable<Buffer>, meta: EntryMeta, size: number): Promise<number>;
  /** Copies a regular file another sink wrote. */
  copyOf(rel: string, fromPath: string, meta: EntryMeta): Promise<void>;
  /** A symbolic link; the caller MUST have checked that `target` stays inside. */
  symlink(rel: string, target: string, meta: EntryMeta): Promise<void>;
  /** A hard link to the regular file this sink holds at `targetRel`. */
  hardlink(rel: string, targetRel: string): Promise<void>;
  /** Problems that would stop commit() (nothing is changed). */
  conflicts(): Promise<string[]>;
  /** Makes everything visible in the target directory. */
  commit(): Promise<void>;
  /** Drops everything (after an error). */
  discard(): Promise<void>;
}

export class DryRunSink implements ExtractSink {
  private readonly staged = new Map<string, Staged>();

  constructor(private readonly target: string) {}

  kind(rel: string): Staged | undefined {
    return this.staged.get(rel);
  }

  pathOf(rel: string): string {
    return `${this.target}/${rel}`;
  }

  private parents(rel: string): void {
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) this.staged.set(parts.slice(0, i).join('/'), 'dir');
  }

  async dir(rel: string): Promise<void> {
    this.parents(rel);
    this.staged.set(rel, 'dir');
  }

  async file(rel: string): Promise<number> {
    this.parents(rel);
    this.staged.set(rel, 'file');
    return 0;
  }

  async copyOf(rel: string): Promise<void> {
    this.parents(rel);
    this.staged.set(rel, 'file');
  }

  async symlink(rel: string): Promise<void> {
    this.parents(rel);
    this.staged.set(rel, 'symlink');
  }

  async hardlink(rel: string): Promise<void> {
    this.parents(rel);
    this.staged.set(rel, 'file');
  }

  async conflicts(): Promise<string[]> {
    return [];
  }

  async commit(): Promise<void> {}

  async discard(): Promise<void> {}
}
