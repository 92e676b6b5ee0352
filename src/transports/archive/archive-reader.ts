/**
 * Reads an archive set in place (d2m): no untar step. Opening checks the
 * structure (the index, every archive file present with its exact size, no
 * stray archive file, every checksum manifest intact and of this set); every
 * member is then read with a ranged read of its tar and checked against its
 * checksum as it streams. Any damage is an ArchiveDamagedError naming the file
 * (and member).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { Digest } from '../../oci/digest.js';
import { ARCHIVE_NAME, ArchiveDamagedError, ArchiveIndexSchema, ChecksumManifestSchema, INDEX_FILE, type ArchiveIndex, type MemberEntry } from './format.js';
import { readJsonFile } from './skip-set.js';

export interface LocatedMember {
  readonly file: string;
  readonly entry: MemberEntry;
}

/** Reads exactly `length` bytes at `offset` of `path` (fewer: the file is shorter). */
async function readRange(path: string, offset: number, length: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return buf.subarray(0, got);
  } finally {
    await fh.close();
  }
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Reads and checks mirror_index.json. */
export async function readArchiveIndex(dir: string): Promise<ArchiveIndex> {
  const file = join(dir, INDEX_FILE);
  try {
    await stat(file);
  } catch {
    throw new ArchiveDamagedError(INDEX_FILE, undefined, `missing from ${dir} (an archive set written by m2d has mirror_index.json next to its mirror_*.tar files)`);
  }
  let doc: unknown;
  try {
    doc = await readJsonFile(file, 'archive index');
  } catch (e) {
    throw new ArchiveDamagedError(INDEX_FILE, undefined, (e as Error).message);
  }
  const parsed = ArchiveIndexSchema.safeParse(doc);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new ArchiveDamagedError(INDEX_FILE, undefined, `not an airlock archive index (${i?.path.join('.') ?? ''}: ${i?.message ?? ''})`);
  }
  return parsed.data;
}

/** Problems with the files themselves (missing, wrong size, stray), without reading members. */
export async function structuralProblems(dir: string, index: ArchiveIndex): Promise<ArchiveDamagedError[]> {
  const out: ArchiveDamagedError[] = [];
  const listed = new Set(index.archives.map((a) => a.file));
  for (const name of (await readdir(dir)).sort()) {
    if (ARCHIVE_NAME.test(name) && !listed.has(name)) out.push(new ArchiveDamagedError(name, undefined, `not part of this archive set (${INDEX_FILE} does not list it)`));
  }
  for (const a of index.archives) {
    let size: number;
    try {
      size = (await stat(join(dir, a.file))).size;
    } catch {
      out.push(new ArchiveDamagedError(a.file, undefined, 'missing'));
      continue;
    }
    if (size < a.size) out.push(new ArchiveDamagedError(a.file, undefined, `truncated: ${size} of ${a.size} bytes`));
    else if (size > a.size) out.push(new ArchiveDamagedError(a.file, undefined, `${size - a.size} unexpected bytes after the end (${size}, expected ${a.size})`));
  }
  return out;
}

/** Reads one archive's checksum manifest (ranged read, checked against the index). */
export async function readChecksums(dir: string, index: ArchiveIndex, a: ArchiveIndex['archives'][number]): Promise<MemberEntry[]> {
  const bytes = await readRange(join(dir, a.file), a.checksums.offset, a.checksums.size).catch(() => Buffer.alloc(0));
  if (bytes.length !== a.checksums.size || sha256(bytes) !== a.checksums.sha256) throw new ArchiveDamagedError(a.file, 'airlock/checksums.json', 'the checksum manifest does not match the index');
  const parsed = ChecksumManifestSchema.safeParse(JSON.parse(bytes.toString('utf8')));
  if (!parsed.success || parsed.data.set !== index.set || parsed.data.archive !== a.file) throw new ArchiveDamagedError(a.file, 'airlock/checksums.json', 'the checksum manifest belongs to another archive or set');
  return parsed.data.members;
}

/** Checks a member's bytes as they stream: errors (before the last chunk) naming file and member. */
class MemberCheck extends Transform {
  private readonly hash = createHash('sha256');
  private got = 0;
  private held: Buffer | undefined;
  constructor(private readonly m: LocatedMember) {
    super();
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    this.got += chunk.length;
    this.hash.update(chunk);
    if (this.held !== undefined) this.push(this.held);
    this.held = chunk;
    cb();
  }
  override _flush(cb: TransformCallback): void {
    const { file, entry } = this.m;
    if (this.got !== entry.size) return cb(new ArchiveDamagedError(file, entry.name, `truncated: ${this.got} of ${entry.size} bytes`));
    const h = this.hash.digest('hex');
    if (h !== entry.sha256) return cb(new ArchiveDamagedError(file, entry.name, `content does not match its checksum (sha256 ${h}, expected ${entry.sha256})`));
    if (this.held !== undefined) this.push(this.held);
    cb();
  }
}

export class ArchiveSet {
  private constructor(
    readonly dir: string,
    readonly index: ArchiveIndex,
    private readonly members: ReadonlyMap<string, LocatedMember>,
  ) {}

  /** Opens `dir`; throws the first structural problem found. */
  static async open(dir: string): Promise<ArchiveSet> {
    const root = resolve(dir);
    const index = await readArchiveIndex(root);
    const problems = await structuralProblems(root, index);
    if (problems.length > 0) throw problems[0]!;
    const members = new Map<string, LocatedMember>();
    for (const a of index.archives) for (const entry of await readChecksums(root, index, a)) members.set(entry.name, { file: a.file, entry });
    return new ArchiveSet(root, index, members);
  }

  member(name: string): LocatedMember | undefined {
    return this.members.get(name);
  }

  /** The member's bytes, checked while they stream. */
  openMember(m: LocatedMember): Readable {
    const { entry } = m;
    const raw = createReadStream(join(this.dir, m.file), { start: entry.offset, end: entry.offset + entry.size - 1, highWaterMark: 1 << 20 });
    const check = new MemberCheck(m);
    raw.on('error', (e) => check.destroy(new ArchiveDamagedError(m.file, entry.name, `cannot be read: ${e.message}`)));
    if (entry.size === 0) {
      raw.destroy();
      check.end();
      return check;
    }
    return raw.pipe(check);
  }

  /** A small member (a manifest) in memory, checked. */
  async readMember(m: LocatedMember): Promise<Buffer> {
    const bytes = await readRange(join(this.dir, m.file), m.entry.offset, m.entry.size);
    if (bytes.length !== m.entry.size) throw new ArchiveDamagedError(m.file, m.entry.name, `truncated: ${bytes.length} of ${m.entry.size} bytes`);
    const h = sha256(bytes);
    if (h !== m.entry.sha256) throw new ArchiveDamagedError(m.file, m.entry.name, `content does not match its checksum (sha256 ${h}, expected ${m.entry.sha256})`);
    return bytes;
  }

  /** True when the set left `digest` out because the far side had it. */
  wasDelivered(digest: Digest): boolean {
    return Object.hasOwn(this.index.delivered, digest);
  }
}
