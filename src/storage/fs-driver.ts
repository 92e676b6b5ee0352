import { constants, createReadStream, createWriteStream, open as openFd } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { access, mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  listAll,
  PathNotFoundError,
  type ByteRange,
  type FileInfo,
  type FileWriter,
  type ListOptions,
  type ListPage,
  type StorageDriver,
  type WriteOptions,
} from './driver.js';
import { GroupSync } from '../util/group-sync.js';
import { FileAppendStream } from './fs-append-stream.js';

/** Whole-file writes are staged here (same filesystem, so the final rename is atomic); dot names are never listed. */
const TMP_DIR = '.tmp';

/**
 * Filesystem driver. Every path is resolved under `root` and checked to stay
 * inside it, as a second line of defence behind the blob store's own path
 * building. Writes are fsynced on commit; moves are rename(2), so a file is
 * either entirely at its final path or not there at all. An append in
 * progress is the file itself, so any process sharing the directory resumes
 * it. There is no redirect URL.
 */
export class FilesystemDriver implements StorageDriver {
  readonly name = 'filesystem';
  private readonly root: string;
  /** Directory fsyncs, shared by concurrent renames into one directory. */
  readonly dirSync = new GroupSync(0);
  /** Directories known to exist with a durable entry in their parent (so mkdir and its fsyncs are skipped). */
  private readonly madeDirs = new Set<string>();

  /**
   * Appends write aligned runs with O_DIRECT (see fs-append-stream.ts);
   * turned off for good at the first EINVAL, or by the constructor option.
   */
  private directIo: boolean;

  constructor(root: string, opts: { directIo?: boolean } = {}) {
    this.root = resolve(root);
    this.directIo = opts.directIo ?? true;
  }

  /**
   * mkdir -p whose result survives a power loss: every directory it creates
   * gets its entry fsynced in the parent. Remembered, so the next call for
   * the same directory costs nothing (a directory is only removed by
   * `delete`, which forgets what it removes).
   */
  private async ensureDir(dir: string): Promise<void> {
    if (this.madeDirs.has(dir)) return;
    const first = await mkdir(dir, { recursive: true });
    if (first !== undefined) {
      // Created first..dir: each new entry lives in its parent.
      const top = dirname(first);
      for (let p = dirname(dir); ; p = dirname(p)) {
        await this.dirSync.sync(p);
        if (p === top || p === dirname(p)) break;
      }
    }
    this.madeDirs.add(dir);
  }

  private full(path: string): string {
    const p = resolve(this.root, path);
    if (p !== this.root && !p.startsWith(this.root + sep)) {
      throw new Error(`storage path escapes the storage root: ${path}`);
    }
    return p;
  }

  async stat(path: string): Promise<FileInfo | undefined> {
    try {
      const s = await stat(this.full(path));
      return { size: s.size, modifiedAt: s.mtime };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async read(path: string, range?: ByteRange): Promise<Readable> {
    const full = this.full(path);
    // A numeric fd (not a FileHandle): the fd-based stream reads with plain
    // callbacks, about twice as fast as the promise-based FileHandle path.
    const fd = await new Promise<number>((res, rej) =>
      openFd(full, 'r', (err, n) => (err ? rej(isNotFound(err) ? new PathNotFoundError(path) : err) : res(n))),
    );
    return createReadStream('', {
      fd,
      highWaterMark: 2 << 20,
      ...(range ? { start: range.start, end: range.end } : {}),
    });
  }

  async write(path: string, body: Readable, opts: WriteOptions = {}): Promise<number> {
    const dst = this.full(path);
    const tmp = this.full(`${TMP_DIR}/${randomUUID()}`);
    await mkdir(dirname(tmp), { recursive: true });
    const fh = await open(tmp, 'wx', 0o600);
    let written = 0;
    try {
      const out = createWriteStream('', { fd: fh.fd, autoClose: false, highWaterMark: 8 << 20 });
      await pipeline(body, out, opts.signal ? { signal: opts.signal } : {});
      written = out.bytesWritten;
      await fh.datasync();
      await fh.close();
      await this.ensureDir(dirname(dst));
      await rename(tmp, dst);
    } catch (e) {
      await fh.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw e;
    }
    await this.dirSync.sync(dirname(dst));
    return written;
  }

  async append(path: string, opts: WriteOptions = {}): Promise<FileWriter> {
    opts.signal?.throwIfAborted();
    const full = this.full(path);
    await mkdir(dirname(full), { recursive: true });
    // Positional writes from the current size (not O_APPEND, which Linux
    // honours even for pwrite): the session owns the file's end.
    const fh = await open(full, constants.O_WRONLY | constants.O_CREAT);
    const directFh = await this.openDirect(full);
    let stream: FileAppendStream;
    try {
      const start = (await fh.stat()).size;
      stream = new FileAppendStream(fh.fd, directFh?.fd, start, () => (this.directIo = false));
    } catch (e) {
      await directFh?.close().catch(() => undefined);
      await fh.close().catch(() => undefined);
      throw e;
    }
    // Flush the page-cache part in the background while bytes keep arriving,
    // so the fsync at commit finds little left to write instead of the whole blob.
    let synced = 0;
    let syncing: Promise<void> | undefined;
    const flusher = setInterval(() => {
      if (syncing || stream.bufferedBytes - synced < FLUSH_EVERY) return;
      const upTo = stream.bufferedBytes;
      syncing = fh.datasync().then(
        () => void (synced = upTo),
        () => undefined,
      ).finally(() => (syncing = undefined));
    }, 100);
    flusher.unref();
    let closed = false;
    const finish = async (sync: boolean): Promise<void> => {
      if (closed) return;
      closed = true;
      clearInterval(flusher);
      if (!stream.writableFinished && !stream.destroyed && !stream.writableEnded) {
        await new Promise<void>((res) => stream.end(res));
      }
      try {
        await syncing;
        // fdatasync: the data and the file size (all a reader needs), not the timestamps.
        if (sync) await fh.datasync();
      } finally {
        await directFh?.close().catch(() => undefined);
        await fh.close();
      }
    };
    // A cancel is reported by commit(); the stream's own error event must not go unhandled.
    stream.on('error', () => undefined);
    const onAbort = (): void => void stream.destroy(new Error('the write was cancelled'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    return {
      stream,
      commit: async () => {
        opts.signal?.removeEventListener('abort', onAbort);
        if (stream.destroyed) {
          await finish(false);
          throw stream.errored ?? new Error('the write was cancelled');
        }
        await finish(true);
      },
      abort: () => {
        opts.signal?.removeEventListener('abort', onAbort);
        return finish(false);
      },
    };
  }

  /** A second descriptor with O_DIRECT for the append stream, or undefined where the filesystem refuses it. */
  private async openDirect(full: string): Promise<FileHandle | undefined> {
    if (!this.directIo || constants.O_DIRECT === undefined) return undefined;
    try {
      return await open(full, constants.O_WRONLY | constants.O_DIRECT);
    } catch (e) {
      if ((e as { code?: string }).code !== 'EINVAL') throw e;
      this.directIo = false;
      return undefined;
    }
  }

  async move(from: string, to: string, retried = false): Promise<void> {
    const dst = this.full(to);
    await this.ensureDir(dirname(dst));
    try {
      await rename(this.full(from), dst);
    } catch (e) {
      if (isNotFound(e)) {
        // Perhaps a directory we remembered was removed behind our back: forget it and retry once.
        if (retried || !this.madeDirs.delete(dirname(dst))) throw new PathNotFoundError(from);
        return this.move(from, to, true);
      }
      throw e;
    }
    await this.dirSync.sync(dirname(dst));
  }

  async delete(path: string): Promise<void> {
    const full = this.full(path);
    for (const d of this.madeDirs) if (d === full || d.startsWith(full + sep)) this.madeDirs.delete(d);
    await rm(full, { recursive: true, force: true });
  }

  async listPage(prefix: string, opts: ListOptions = {}): Promise<ListPage> {
    const limit = opts.limit ?? 1000;
    let names: string[];
    try {
      names = await readdir(this.full(prefix));
    } catch (e) {
      if (isNotFound(e) || (e as { code?: string }).code === 'ENOTDIR') return { names: [] };
      throw e;
    }
    const after = opts.after;
    const sorted = names.filter((n) => !n.startsWith('.') && (after === undefined || n > after)).sort(byteOrder);
    const page = sorted.slice(0, limit);
    return sorted.length > limit ? { names: page, next: page[page.length - 1]! } : { names: page };
  }

  list(prefix: string): Promise<string[]> {
    return listAll(this, prefix);
  }

  redirectURL(): Promise<string | undefined> {
    return Promise.resolve(undefined);
  }

  async check(): Promise<void> {
    try {
      await access(this.root);
    } catch (e) {
      throw new Error(`storage directory ${this.root} is not usable: ${(e as Error).message}`);
    }
  }

  /** Absolute path on disk (used for diagnostics and `gc` reporting only). */
  localPath(path: string): string {
    return join(this.full(path));
  }
}


/** Background data sync granularity for large writes. */
const FLUSH_EVERY = 64 << 20;

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isNotFound(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: string }).code === 'ENOENT';
}
