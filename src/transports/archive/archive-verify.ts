/**
 * `airlock archive verify`: reads every byte of every archive of a set and
 * checks it against the checksum manifests. Reports every problem found
 * (missing or stray archive files, truncation, corrupt, missing or unknown
 * members, an index that names members no archive holds), each naming the
 * file and, where there is one, the member.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract } from 'tar-stream';
import { ArchiveDamagedError, blobMember, CHECKSUMS_MEMBER, INDEX_FILE, type ArchiveIndex, type MemberEntry } from './format.js';
import { readArchiveIndex, readChecksums, structuralProblems } from './archive-reader.js';

export interface ArchiveProblem {
  readonly file: string;
  readonly member?: string;
  readonly problem: string;
}

export interface VerifyReport {
  readonly dir: string;
  readonly set?: string;
  readonly ok: boolean;
  readonly archives: number;
  /** Members whose bytes were read and matched. */
  readonly members: number;
  readonly bytes: number;
  readonly problems: readonly ArchiveProblem[];
}

const asProblem = (e: ArchiveDamagedError): ArchiveProblem => ({ file: e.file, ...(e.member !== undefined ? { member: e.member } : {}), problem: e.problem });

/** Reads one tar from start to end, matching each member with `expected` (undefined: the checksum manifest is lost; only the tar structure is checked). */
async function verifyTar(path: string, file: string, expected: Map<string, MemberEntry> | undefined, problems: ArchiveProblem[]): Promise<{ members: number; bytes: number }> {
  const seen = new Set<string>();
  let members = 0;
  let bytes = 0;
  let current: string | undefined;
  const extract = tarExtract();
  const done = pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), extract as unknown as NodeJS.WritableStream);
  done.catch(() => undefined);
  try {
    for await (const e of extract) {
      const h = e.header;
      current = h.name;
      if (typeof h.size !== 'number' || !Number.isSafeInteger(h.size) || h.size < 0) {
        problems.push({ file, member: h.name, problem: 'corrupt tar header (no valid size)' });
        e.resume();
        break;
      }
      const hash = createHash('sha256');
      let n = 0;
      for await (const c of e as unknown as Readable) {
        hash.update(c as Buffer);
        n += (c as Buffer).length;
      }
      if (h.name === CHECKSUMS_MEMBER) continue;
      if (seen.has(h.name)) problems.push({ file, member: h.name, problem: 'appears twice' });
      seen.add(h.name);
      if (expected === undefined) continue;
      const want = expected.get(h.name);
      if (want === undefined) {
        problems.push({ file, member: h.name, problem: 'unknown member (not in the checksum manifest)' });
        continue;
      }
      const got = hash.digest('hex');
      if (n !== want.size) problems.push({ file, member: h.name, problem: `holds ${n} bytes, the checksum manifest says ${want.size}` });
      else if (got !== want.sha256) problems.push({ file, member: h.name, problem: `content does not match its checksum (sha256 ${got}, expected ${want.sha256})` });
      else {
        members++;
        bytes += n;
      }
    }
    await done;
  } catch (e) {
    problems.push({ file, ...(current !== undefined ? { member: current } : {}), problem: `the tar breaks off or is corrupt${current !== undefined ? ' in or after this member' : ''}: ${(e as Error).message}` });
  }
  for (const name of expected?.keys() ?? []) if (!seen.has(name)) problems.push({ file, member: name, problem: 'missing (not found in the tar)' });
  return { members, bytes };
}

/** Every member the index promises is in the checksum manifest of the archive it names. */
function indexProblems(index: ArchiveIndex, byArchive: Map<string, Map<string, MemberEntry>>): ArchiveProblem[] {
  const out: ArchiveProblem[] = [];
  for (const [digest, file] of Object.entries(index.blobs)) {
    const m = byArchive.get(file);
    if (m !== undefined && !m.has(blobMember(digest as never))) out.push({ file: INDEX_FILE, member: blobMember(digest as never), problem: `listed in ${file}, which does not hold it` });
  }
  return out;
}

export async function verifyArchiveSet(dir: string): Promise<VerifyReport> {
  const root = resolve(dir);
  let index: ArchiveIndex;
  try {
    index = await readArchiveIndex(root);
  } catch (e) {
    if (e instanceof ArchiveDamagedError) return { dir: root, ok: false, archives: 0, members: 0, bytes: 0, problems: [asProblem(e)] };
    throw e;
  }
  const problems: ArchiveProblem[] = (await structuralProblems(root, index)).map(asProblem);
  const missing = new Set(problems.filter((p) => p.problem === 'missing').map((p) => p.file));
  const byArchive = new Map<string, Map<string, MemberEntry>>();
  let members = 0;
  let bytes = 0;
  for (const a of index.archives) {
    if (missing.has(a.file)) continue;
    let expected: Map<string, MemberEntry> | undefined;
    try {
      expected = new Map((await readChecksums(root, index, a)).map((m) => [m.name, m]));
      byArchive.set(a.file, expected);
    } catch (e) {
      if (!(e instanceof ArchiveDamagedError)) throw e;
      problems.push(asProblem(e));
    }
    const r = await verifyTar(join(root, a.file), a.file, expected, problems);
    members += r.members;
    bytes += r.bytes;
  }
  problems.push(...indexProblems(index, byArchive));
  return { dir: root, set: index.set, ok: problems.length === 0, archives: index.archives.length, members, bytes, problems };
}

/** One line per problem: `FILE: member NAME: PROBLEM`. */
export function problemLine(p: ArchiveProblem): string {
  return `${p.file}${p.member !== undefined ? `: member ${p.member}` : ''}: ${p.problem}`;
}
