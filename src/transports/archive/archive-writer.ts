/**
 * Writes one archive set (m2d): blobs, manifests and tags streamed into
 * mirror_NNNNNN.tar files of at most `archiveSize` bytes, each ending with its
 * checksum manifest, plus mirror_index.json. Everything is written under
 * `.partial` names; commit() renames the set into place (index last) and
 * removes archives of an earlier set that the new one does not replace.
 *
 * Contract:
 * - A blob in the skip set is never written; hasBlob answers 'present' for
 *   it (and for every blob already written in this run).
 * - A top-level manifest the far side has in that repository (`images`) is
 *   never written either: resolveManifest answers its digest (for a tag
 *   there with that digest, or by digest), so the engine skips the image,
 *   and a push of it under a new tag is recorded as a `retag`. The index
 *   lists all of these (onDestination). A child manifest the far side has is
 *   held back until a parent written into the set needs it.
 * - A blob is never split across archives. One that does not fit in what is
 *   left of the current archive starts the next one. One larger than
 *   archiveSize on its own gets an archive of its own, larger than the limit,
 *   with a warning (oc-mirror v2's permissive mode); with `strict` it is an
 *   ArchiveWriteError instead (v2's --strict-archive).
 * - A blob is verified (size and digest) while it streams; one that fails is
 *   cut out of the tar again, so a member only exists once its bytes are right.
 * - After a strict refusal, commit() fails with it: a set missing a blob never becomes visible.
 * - Writes are serialized (one tar stream at a time); memory holds no blob.
 */
import { randomUUID, createHash } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { isDigest, type Digest } from '../../oci/digest.js';
import type { DeliveredImages } from './delivered-images.js';
import type { BlobInfo, ManifestTarget, RawManifest } from '../types.js';
import { verified } from '../verify-stream.js';
import { ARCHIVE_NAME, archiveName, ArchiveWriteError, blobMember, CHECKSUMS_MEMBER, FORMAT, INDEX_FILE, REPOSITORIES_MEMBER, type ArchiveIndex, type ChecksumManifest, type RepositoriesMember } from './format.js';
import type { BlobSkipSet } from './skip-set.js';
import { END_OF_TAR, headerLength, padded, TarSegment } from './tar-segment.js';
import { fsyncDir } from '../../util/fsync-dir.js';

export interface ArchiveWriterOptions {
  readonly dir: string;
  /** Largest archive file, bytes (oc-mirror's archiveSize is GiB: multiply by format.GiB). */
  readonly archiveSize: number;
  /** Blobs the far side already holds. */
  readonly skip?: BlobSkipSet;
  /** Manifests and tags the far side already holds, per repository of the set. */
  readonly images?: DeliveredImages;
  /** Refuse a blob larger than archiveSize instead of giving it an archive of its own. */
  readonly strict?: boolean;
  readonly onWarning?: (message: string) => void;
}

interface Omitted {
  tags: Map<string, Digest>;
  retag: Map<string, Digest>;
  manifests: Set<Digest>;
}

interface Repo {
  tags: Map<string, Digest>;
  manifests: Set<Digest>;
  untagged: Set<Digest>;
}

/** Bytes of an entry in the checksum manifest's JSON, with room to spare. */
const entryBytes = (name: string): number => name.length + 140;

export class ArchiveWriter {
  readonly dir: string;
  readonly set = randomUUID();
  private readonly created = new Date();
  private current: TarSegment | undefined;
  private currentManifestBytes = 0;
  private sequence = 0;
  private readonly archives: ArchiveIndex['archives'] = [];
  private readonly blobs = new Map<string, string>();
  private readonly manifests: ArchiveIndex['manifests'] = {};
  private readonly repositories = new Map<string, Repo>();
  private readonly delivered = new Map<Digest, Set<string>>();
  private readonly files: Record<string, string> = {};
  private readonly omitted = new Map<string, Omitted>();
  /** Child manifests the far side has, held back (`repo@digest`) until a parent written into the set refers to them. */
  private readonly pending = new Map<string, RawManifest>();
  private queue: Promise<unknown> = Promise.resolve();
  private committed: Promise<ArchiveIndex> | undefined;
  private refusal: ArchiveWriteError | undefined;

  private constructor(private readonly o: ArchiveWriterOptions) {
    this.dir = resolve(o.dir);
    if (!Number.isSafeInteger(o.archiveSize) || o.archiveSize < 64 * 1024) throw new ArchiveWriteError(`archive size ${o.archiveSize} is too small (at least 64 KiB)`);
  }

  /** Makes `dir` if needed and removes `.partial` files a killed run left there. */
  static async create(o: ArchiveWriterOptions): Promise<ArchiveWriter> {
    const w = new ArchiveWriter(o);
    await mkdir(w.dir, { recursive: true });
    for (const name of await readdir(w.dir)) if (name.endsWith('.partial') && (ARCHIVE_NAME.test(name.slice(0, -8)) || name === `${INDEX_FILE}.partial`)) await rm(join(w.dir, name), { force: true });
    return w;
  }

  /** One at a time: the tar stream has a single writer. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private repo(name: string): Repo {
    let r = this.repositories.get(name);
    if (r === undefined) {
      r = { tags: new Map(), manifests: new Set(), untagged: new Set() };
      this.repositories.set(name, r);
    }
    return r;
  }

  /** True when the blob is in the set already or the far side has it (recorded as delivered, for `repository`). */
  hasBlob(digest: Digest, repository: string): boolean {
    if (this.blobs.has(digest)) return true;
    if (this.o.skip?.has(digest)) {
      let repos = this.delivered.get(digest);
      if (repos === undefined) this.delivered.set(digest, (repos = new Set()));
      repos.add(repository);
      return true;
    }
    return false;
  }

  putBlob(blob: BlobInfo, body: Readable): Promise<void> {
    const checked = verified(body, blob);
    return this.serial(async () => {
      if (this.blobs.has(blob.digest)) {
        checked.destroy();
        return;
      }
      this.blobs.set(blob.digest, await this.add(blobMember(blob.digest), blob.size, checked));
    }).finally(() => checked.destroy());
  }

  private om(repository: string): Omitted {
    let o = this.omitted.get(repository);
    if (o === undefined) this.omitted.set(repository, (o = { tags: new Map(), retag: new Map(), manifests: new Set() }));
    return o;
  }

  /** True when the far side has manifest `digest` in `repository` and this set does not carry it. */
  private onFarSide(repository: string, digest: Digest): boolean {
    return this.o.images?.hasManifest(repository, digest) === true && !(this.repositories.get(repository)?.manifests.has(digest) ?? false);
  }

  putManifest(repository: string, m: RawManifest, target: ManifestTarget): Promise<void> {
    return this.serial(async () => {
      if (this.onFarSide(repository, m.digest)) {
        if (target.child === true) {
          this.pending.set(`${repository}@${m.digest}`, m);
          return;
        }
        const o = this.om(repository);
        if (target.tag === undefined) o.manifests.add(m.digest);
        else {
          o.tags.delete(target.tag);
          o.retag.delete(target.tag);
          if (this.o.images?.tag(repository, target.tag) === m.digest) o.tags.set(target.tag, m.digest);
          else o.retag.set(target.tag, m.digest);
        }
        return;
      }
      await this.store(repository, m, target);
    });
  }

  /** Writes a manifest into the set (once per digest) and lists it in `repository`; then any held-back child it refers to. */
  private async store(repository: string, m: RawManifest, target: ManifestTarget): Promise<void> {
    if (!this.blobs.has(m.digest)) {
      this.blobs.set(m.digest, await this.add(blobMember(m.digest), m.bytes.length, m.bytes));
    }
    this.manifests[m.digest] = { mediaType: m.mediaType, size: m.bytes.length };
    const r = this.repo(repository);
    r.manifests.add(m.digest);
    if (target.tag !== undefined) r.tags.set(target.tag, m.digest);
    else if (target.child !== true) r.untagged.add(m.digest);
    if (this.pending.size === 0) return;
    for (const child of childDigests(m)) {
      const held = this.pending.get(`${repository}@${child}`);
      if (held === undefined) continue;
      this.pending.delete(`${repository}@${child}`);
      await this.store(repository, held, { child: true });
    }
  }

  /**
   * The digest `reference` (tag or digest) has in `repository` in this set,
   * or at the far side (then recorded: the set relies on it being there).
   */
  resolve(repository: string, reference: string): Digest | undefined {
    const r = this.repositories.get(repository);
    const here = r?.tags.get(reference) ?? (r?.manifests.has(reference as Digest) ? (reference as Digest) : undefined);
    if (here !== undefined || this.o.images === undefined) return here;
    if (isDigest(reference)) {
      if (!this.onFarSide(repository, reference as Digest)) return undefined;
      this.om(repository).manifests.add(reference as Digest);
      return reference as Digest;
    }
    const there = this.o.images.tag(repository, reference);
    if (there !== undefined && this.o.images.hasManifest(repository, there)) this.om(repository).tags.set(reference, there);
    return there;
  }

  /** Adds a file of the run (the image set config, say) at `name` inside the archive. */
  addFile(name: string, bytes: Buffer): Promise<void> {
    if (name.startsWith('docker/') || name.startsWith('airlock/') || name.includes('..') || name.startsWith('/')) throw new ArchiveWriteError(`${name}: not a name an extra archive file may have`);
    return this.serial(async () => {
      this.files[name] = await this.add(name, bytes.length, bytes);
    });
  }

  private partialPath(sequence: number): string {
    return join(this.dir, `${archiveName(sequence)}.partial`);
  }

  /** Writes a member into the current archive, or a new one when it does not fit; returns the archive's name. */
  private async add(name: string, size: number, body: Readable | Buffer): Promise<string> {
    const need = (await headerLength(name)) + padded(size);
    const reserve = (manifestBytes: number): number => 512 + padded(manifestBytes + entryBytes(name) + entryBytes(CHECKSUMS_MEMBER) + 256) + END_OF_TAR;
    const fits = (seg: TarSegment): boolean => seg.offset + need + reserve(this.currentManifestBytes) <= this.o.archiveSize;
    if (this.current !== undefined && this.current.members.length > 0 && !fits(this.current)) await this.roll();
    if (need + reserve(0) > this.o.archiveSize) {
      if (this.o.strict) {
        this.refusal ??= new ArchiveWriteError(`${name} (${size} bytes) is larger than the archive size ${this.o.archiveSize}; raise archiveSize or drop --strict-archive`);
        throw this.refusal;
      }
      this.o.onWarning?.(`${name} (${size} bytes) is larger than the archive size ${this.o.archiveSize}: it gets an archive of its own`);
    }
    this.current ??= TarSegment.create(this.partialPath(++this.sequence), this.created);
    await this.current.add(name, size, body);
    this.currentManifestBytes += entryBytes(name);
    const file = archiveName(this.sequence);
    if (need + reserve(0) > this.o.archiveSize) await this.roll();
    return file;
  }

  /** Ends the current archive with its checksum manifest. */
  private async roll(): Promise<void> {
    const seg = this.current ?? TarSegment.create(this.partialPath(++this.sequence), this.created);
    const file = archiveName(this.sequence);
    const doc: ChecksumManifest = { format: FORMAT, set: this.set, archive: file, members: seg.members };
    const bytes = Buffer.from(JSON.stringify(doc));
    const entry = await seg.add(CHECKSUMS_MEMBER, bytes.length, bytes);
    const size = await seg.close();
    this.archives.push({ file, size, checksums: { offset: entry.offset, size: entry.size, sha256: entry.sha256 } });
    this.current = undefined;
    this.currentManifestBytes = 0;
  }

  /**
   * Writes the repositories' links, closes the last archive, writes the index
   * and renames everything into place. Idempotent: later calls return the same index.
   */
  commit(): Promise<ArchiveIndex> {
    this.committed ??= this.serial(() => this.finish());
    return this.committed;
  }

  /** The strict-mode refusal of an oversized blob, if one happened: the set can no longer be committed. */
  get refused(): ArchiveWriteError | undefined {
    return this.refusal;
  }

  private async finish(): Promise<ArchiveIndex> {
    if (this.refusal !== undefined) throw this.refusal;
    const repositories: ArchiveIndex['repositories'] = Object.fromEntries([...this.repositories].sort(([a], [b]) => a.localeCompare(b)).map(([n, r]) => {
      const tagged = new Set(r.tags.values());
      return [n, { tags: Object.fromEntries([...r.tags].sort(([a], [b]) => a.localeCompare(b))), manifests: [...r.manifests].sort(), untagged: [...r.untagged].filter((d) => !tagged.has(d)).sort() }];
    }));
    const onDestination = this.omitted.size > 0 ? this.onDestination() : undefined;
    // Every tag and manifest of every repository in ONE member (not a link file each, as distribution's layout has: a tar header per link).
    const doc: RepositoriesMember = { format: FORMAT, set: this.set, repositories, ...(onDestination ? { onDestination } : {}) };
    const bytes = Buffer.from(JSON.stringify(doc));
    await this.add(REPOSITORIES_MEMBER, bytes.length, bytes);
    if (this.current !== undefined || this.archives.length === 0) await this.roll();
    const index: ArchiveIndex = {
      format: FORMAT,
      set: this.set,
      created: this.created.toISOString(),
      archiveSize: this.o.archiveSize,
      archives: this.archives,
      blobs: Object.fromEntries(this.blobs),
      manifests: this.manifests,
      repositories,
      delivered: Object.fromEntries([...this.delivered].sort(([a], [b]) => a.localeCompare(b)).map(([d, r]) => [d, [...r].sort()])),
      files: this.files,
      ...(onDestination ? { onDestination } : {}),
    };
    const indexPartial = join(this.dir, `${INDEX_FILE}.partial`);
    await writeFile(indexPartial, JSON.stringify(index, null, 1), { flush: true });
    const mine = new Set(this.archives.map((a) => a.file));
    for (const a of this.archives) await rename(join(this.dir, `${a.file}.partial`), join(this.dir, a.file));
    await rename(indexPartial, join(this.dir, INDEX_FILE));
    for (const name of await readdir(this.dir)) if (ARCHIVE_NAME.test(name) && !mine.has(name)) await rm(join(this.dir, name), { force: true });
    await fsyncDir(this.dir);
    return index;
  }

  /** What the set relies on the far side holding, without what the set carries after all. */
  private onDestination(): NonNullable<ArchiveIndex['onDestination']> {
    const out: NonNullable<ArchiveIndex['onDestination']> = {};
    for (const [name, o] of [...this.omitted].sort(([a], [b]) => a.localeCompare(b))) {
      const r = this.repositories.get(name);
      const open = ([t]: [string, Digest]): boolean => !(r?.tags.has(t) ?? false);
      const tags = Object.fromEntries([...o.tags].filter(open).sort(([a], [b]) => a.localeCompare(b)));
      const retag = Object.fromEntries([...o.retag].filter(open).sort(([a], [b]) => a.localeCompare(b)));
      const manifests = [...o.manifests].filter((d) => !(r?.manifests.has(d) ?? false)).sort();
      if (Object.keys(tags).length + Object.keys(retag).length + manifests.length > 0) out[name] = { tags, retag, manifests };
    }
    return out;
  }

  /** Drops what this run wrote (nothing of it was visible yet). */
  abort(): Promise<void> {
    return this.serial(async () => {
      await this.current?.abort();
      this.current = undefined;
      for (let s = 1; s <= this.sequence; s++) await rm(this.partialPath(s), { force: true });
      await rm(join(this.dir, `${INDEX_FILE}.partial`), { force: true });
    });
  }

  /** Blobs written so far, and those left out as delivered. */
  stats(): { blobs: number; delivered: number; archives: number } {
    return { blobs: this.blobs.size, delivered: this.delivered.size, archives: this.sequence };
  }
}

/** The child manifest digests of an index (none for anything else or unreadable JSON). */
function childDigests(m: RawManifest): string[] {
  try {
    const doc = JSON.parse(m.bytes.toString('utf8')) as { manifests?: unknown };
    return Array.isArray(doc.manifests) ? doc.manifests.map((c: { digest?: unknown }) => c.digest).filter((d): d is string => typeof d === 'string') : [];
  } catch {
    return [];
  }
}


export const sha256Hex = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
