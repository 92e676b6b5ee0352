/**
 * A private staging directory inside one target directory (same filesystem,
 * so moving out is a rename). Entries are written here while the layers
 * stream, and moved into the target only after every layer's digest
 * verified (commit); on failure the whole directory is removed (discard).
 *
 * Safety: the staging directory is created by us with mode 0700, every
 * parent is made here with mkdir and checked with lstat (a link is never
 * traversed), files are opened with O_CREAT|O_EXCL|O_NOFOLLOW, and commit
 * never writes through a link it finds in the target directory: a link or
 * file where the image has a directory is a conflict, reported before
 * anything moves. Directory modes are applied last, deepest first, so a
 * read-only directory does not stop its own extraction.
 */
import { closeSync, constants, fchmodSync, fchownSync, futimesSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { chmod, chown, copyFile, lchown, link, lstat, lutimes, mkdtemp, open, readdir, rename, rm, symlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExtractSink, Staged } from './sink.js';

export interface EntryMeta {
  /** Permission bits to apply (already masked by the caller). */
  readonly mode: number;
  readonly mtime?: Date;
  /** Set only when ownership is to be kept. */
  readonly owner?: { readonly uid: number; readonly gid: number };
}

const WRITE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const IMPLICIT_DIR: EntryMeta = { mode: 0o755 };
/**
 * Files up to this size are collected in memory and written with
 * synchronous calls (one open/write/chmod/close burst instead of five
 * thread-pool round trips each); larger ones stream.
 */
const SMALL_FILE = 256 * 1024;

export const STAGING_PREFIX = '.airlock-extract-';

export class StagingTree implements ExtractSink {
  private readonly staged = new Map<string, Staged>();
  private readonly dirMeta = new Map<string, EntryMeta>();

  private constructor(
    /** The target directory (absolute, as resolved by the caller). */
    readonly target: string,
    readonly root: string,
  ) {}

  static async create(target: string): Promise<StagingTree> {
    return new StagingTree(target, await mkdtemp(join(target, STAGING_PREFIX)));
  }

  /** What was staged at `rel`, if anything. */
  kind(rel: string): Staged | undefined {
    return this.staged.get(rel);
  }

  /** Absolute path of a staged entry. */
  pathOf(rel: string): string {
    return join(this.root, rel);
  }

  private async parents(rel: string): Promise<void> {
    const parts = rel.split('/');
    let prefix = '';
    for (let i = 0; i < parts.length - 1; i++) {
      prefix = i === 0 ? parts[0]! : `${prefix}/${parts[i]}`;
      await this.mkdirOne(prefix);
    }
  }

  private async mkdirOne(rel: string): Promise<void> {
    const have = this.staged.get(rel);
    if (have === 'dir') return;
    if (have !== undefined) throw new Error(`internal: staging ${rel} as a directory over a ${have}`);
    try {
      mkdirSync(this.pathOf(rel), { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const st = await lstat(this.pathOf(rel));
      if (!st.isDirectory()) throw new Error(`internal: ${this.pathOf(rel)} exists and is not a directory`);
    }
    this.staged.set(rel, 'dir');
  }

  /** Removes what an earlier entry of the same layer staged at `rel`. */
  private async clear(rel: string): Promise<void> {
    if (this.staged.get(rel) === undefined) return;
    await rm(this.pathOf(rel), { force: true });
    this.staged.delete(rel);
  }

  /** A directory; `meta` (when given) is applied at commit. */
  async dir(rel: string, meta?: EntryMeta): Promise<void> {
    await this.parents(rel);
    await this.mkdirOne(rel);
    if (meta !== undefined) this.dirMeta.set(rel, meta);
  }

  /** A regular file streamed from `body` (`size` bytes announced); returns the bytes written. */
  async file(rel: string, body: AsyncIterable<Buffer>, meta: EntryMeta, size: number): Promise<number> {
    await this.parents(rel);
    await this.clear(rel);
    if (size <= SMALL_FILE) return this.smallFile(rel, body, meta);
    const fh = await open(this.pathOf(rel), WRITE_FLAGS, 0o600);
    let n = 0;
    try {
      for await (const chunk of body) {
        await fh.write(chunk);
        n += chunk.length;
      }
      if (meta.owner !== undefined) await fh.chown(meta.owner.uid, meta.owner.gid);
      await fh.chmod(meta.mode);
      if (meta.mtime !== undefined) await fh.utimes(meta.mtime, meta.mtime);
    } finally {
      await fh.close();
    }
    this.staged.set(rel, 'file');
    return n;
  }

  private async smallFile(rel: string, body: AsyncIterable<Buffer>, meta: EntryMeta): Promise<number> {
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const chunk of body) {
      chunks.push(chunk);
      n += chunk.length;
      if (n > SMALL_FILE) throw new Error(`internal: ${rel} is larger than its header said`);
    }
    const fd = openSync(this.pathOf(rel), WRITE_FLAGS, 0o600);
    try {
      for (const c of chunks) for (let off = 0; off < c.length; ) off += writeSync(fd, c, off);
      if (meta.owner !== undefined) fchownSync(fd, meta.owner.uid, meta.owner.gid);
      fchmodSync(fd, meta.mode);
      if (meta.mtime !== undefined) futimesSync(fd, meta.mtime, meta.mtime);
    } finally {
      closeSync(fd);
    }
    this.staged.set(rel, 'file');
    return n;
  }

  /** A copy of a file staged elsewhere (another target of the same run). */
  async copyOf(rel: string, fromPath: string, meta: EntryMeta): Promise<void> {
    await this.parents(rel);
    await this.clear(rel);
    await copyFile(fromPath, this.pathOf(rel), constants.COPYFILE_EXCL);
    if (meta.owner !== undefined) await chown(this.pathOf(rel), meta.owner.uid, meta.owner.gid);
    await chmod(this.pathOf(rel), meta.mode);
    if (meta.mtime !== undefined) await utimes(this.pathOf(rel), meta.mtime, meta.mtime);
    this.staged.set(rel, 'file');
  }

  /** A symbolic link; the caller has checked that `target` stays inside the target directory. */
  async symlink(rel: string, target: string, meta: EntryMeta): Promise<void> {
    await this.parents(rel);
    await this.clear(rel);
    await symlink(target, this.pathOf(rel));
    if (meta.owner !== undefined) await lchown(this.pathOf(rel), meta.owner.uid, meta.owner.gid);
    if (meta.mtime !== undefined) await lutimes(this.pathOf(rel), meta.mtime, meta.mtime);
    this.staged.set(rel, 'symlink');
  }

  /** A hard link to the regular file staged at `targetRel`. */
  async hardlink(rel: string, targetRel: string): Promise<void> {
    if (this.staged.get(targetRel) !== 'file') throw new Error(`internal: hard link target ${targetRel} is not a staged file`);
    await this.parents(rel);
    await this.clear(rel);
    await link(this.pathOf(targetRel), this.pathOf(rel));
    this.staged.set(rel, 'file');
  }

  /**
   * Walks the staged tree against the target directory. With `move` false it
   * only returns the conflicts (nothing changes); with `move` true it renames
   * every entry into place (replacing files and links, merging into existing
   * directories) and returns the directories it merged into.
   */
  private async walk(rel: string, move: boolean, conflicts: string[], merged: Set<string>): Promise<void> {
    for (const name of await readdir(join(this.root, rel))) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const from = join(this.root, r);
      const to = join(this.target, r);
      const s = await lstat(from);
      let d;
      try {
        d = await lstat(to);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      if (d === undefined || (!s.isDirectory() && !d.isDirectory())) {
        if (move) await rename(from, to);
      } else if (s.isDirectory() && d.isDirectory()) {
        merged.add(r);
        await this.walk(r, move, conflicts, merged);
      } else if (s.isDirectory()) {
        conflicts.push(`${to} exists and is a ${d.isSymbolicLink() ? 'symbolic link' : 'file'}, where the image has a directory; refusing to write through or over it (move it away and run again)`);
      } else {
        conflicts.push(`${to} is a directory, where the image has a ${s.isSymbolicLink() ? 'symbolic link' : 'file'}; refusing to replace it (move it away and run again)`);
      }
    }
  }

  /** Conflicts that would stop commit(); nothing is changed. */
  async conflicts(): Promise<string[]> {
    const conflicts: string[] = [];
    await this.walk('', false, conflicts, new Set());
    return conflicts;
  }

  /** Moves everything into the target directory, applies directory modes, removes the staging directory. */
  async commit(): Promise<void> {
    const merged = new Set<string>();
    await this.walk('', true, [], merged);
    const placed = [...this.staged].filter(([rel, k]) => k === 'dir' && !merged.has(rel)).map(([rel]) => rel);
    placed.sort((a, b) => b.split('/').length - a.split('/').length);
    for (const rel of placed) {
      const p = join(this.target, rel);
      const st = await lstat(p);
      if (!st.isDirectory()) continue;
      const meta = this.dirMeta.get(rel) ?? IMPLICIT_DIR;
      if (meta.owner !== undefined) await chown(p, meta.owner.uid, meta.owner.gid);
      await chmod(p, meta.mode);
      if (meta.mtime !== undefined) await utimes(p, meta.mtime, meta.mtime);
    }
    await this.discard();
  }

  /** Removes the staging directory and whatever is still in it. */
  async discard(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}
