/**
 * Damaged archive sets: a flipped byte in a blob member, a truncated tar, a
 * deleted tar, an extra member and a stray archive file. Each is found by
 * `airlock archive verify` (exit 1, naming the file and member, text and
 * -o json) and refused by d2m naming the same file, with nothing of the
 * damaged blob reaching the registry. Also: a blob that fails verification
 * while the writer streams it is cut out of the tar again.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, open, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pack as tarPack } from 'tar-stream';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { runAirlockCli } from '../helpers/airlock-process.js';
import { headBlob } from '../interop/support/registry-api.js';
import { ArchiveSet } from '../../src/transports/archive/archive-reader.js';
import { verifyArchiveSet, type VerifyReport } from '../../src/transports/archive/archive-verify.js';
import { ArchiveWriter } from '../../src/transports/archive/archive-writer.js';
import { ArchiveDamagedError, blobMember, INDEX_FILE, type ArchiveIndex, type ChecksumManifest } from '../../src/transports/archive/format.js';
import type { Digest } from '../../src/oci/digest.js';
import { CARRIED, packImages, pushSet, seedRegistry, type Carried } from './support/archive-fixture.js';

const MiB = 1024 * 1024;

describe('damaged archive sets', () => {
  let work: string;
  let src: AirlockHandle;
  let dst: AirlockHandle;
  let carried: Carried;
  let pristine: string;
  let index: ArchiveIndex;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-archive-damage-'));
    [src, dst] = await Promise.all([startAirlock(), startAirlock()]);
    carried = await seedRegistry(join(work, 'fixtures'), src.hostPort, CARRIED);
    pristine = join(work, 'pristine');
    index = (await packImages(src.hostPort, carried.images, pristine, { archiveSize: 3 * MiB })).index;
    assert.ok(index.archives.length >= 4);
  });

  after(async () => {
    await Promise.all([src?.close(), dst?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  let n = 0;
  const copyOf = async (): Promise<string> => {
    const dir = join(work, `case-${n++}`);
    await cp(pristine, dir, { recursive: true });
    return dir;
  };

  const checksums = async (dir: string, file: string): Promise<ChecksumManifest> => {
    const a = index.archives.find((x) => x.file === file)!;
    const fh = await open(join(dir, file), 'r');
    const buf = Buffer.alloc(a.checksums.size);
    await fh.read(buf, 0, buf.length, a.checksums.offset);
    await fh.close();
    return JSON.parse(buf.toString('utf8')) as ChecksumManifest;
  };

  /** `archive verify` on the CLI: exit 1 and the same problems in JSON; text names file and member on stderr. */
  const cliVerify = async (dir: string, expect: { file: string; member?: string }): Promise<void> => {
    const json = await runAirlockCli(['archive', 'verify', dir, '-o', 'json']);
    assert.equal(json.code, 1, json.stderr);
    const doc = JSON.parse(json.stdout) as VerifyReport;
    assert.equal(doc.ok, false);
    assert.ok(doc.problems.some((p) => p.file === expect.file && (expect.member === undefined || p.member === expect.member)), json.stdout);
    const text = await runAirlockCli(['archive', 'verify', dir]);
    assert.equal(text.code, 1);
    assert.match(text.stderr, new RegExp(`^error: ${expect.file.replace('.', '\\.')}${expect.member !== undefined ? `: member ${expect.member}` : ''}`, 'm'));
    assert.doesNotMatch(text.stderr, /\n\s+at /, 'no stack trace');
  };

  it('the pristine set verifies on the CLI (exit 0, -o json)', async () => {
    const r = await runAirlockCli(['archive', 'verify', pristine, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as VerifyReport;
    assert.equal(doc.ok, true);
    assert.equal(doc.archives, index.archives.length);
    const bad = await runAirlockCli(['archive', 'verify', join(work, 'nowhere')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^error: .*nowhere is not a directory/);
  });

  it('a flipped byte in a blob member: verify names file and member, d2m refuses it and the blob never lands', async () => {
    const dir = await copyOf();
    const file = index.archives[1]!.file;
    const member = (await checksums(dir, file)).members.find((m) => m.name.startsWith('docker/registry/v2/blobs/') && m.size > 4096)!;
    const fh = await open(join(dir, file), 'r+');
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, member.offset + 1000);
    b[0] = b[0]! ^ 0xff;
    await fh.write(b, 0, 1, member.offset + 1000);
    await fh.close();
    const r = await verifyArchiveSet(dir);
    assert.deepEqual(r.problems.map((p) => [p.file, p.member]), [[file, member.name]]);
    assert.match(r.problems[0]!.problem, /does not match its checksum/);
    await cliVerify(dir, { file, member: member.name });

    const pushed = await pushSet(dir, dst.hostPort, 'flip');
    assert.ok(pushed.errors.length > 0);
    assert.ok(pushed.errors.some((e) => e.message.includes(file) && e.message.includes(member.name)), JSON.stringify(pushed.errors));
    const digest = `sha256:${member.name.split('/').at(-2)!}` as Digest;
    assert.equal(member.name, blobMember(digest));
    for (const repo of Object.keys(index.repositories)) assert.equal((await headBlob(dst.url, `flip/${repo}`, digest)).status, 404, repo);
  });

  it('a truncated tar: verify names it, d2m refuses to start', async () => {
    const dir = await copyOf();
    const a = index.archives[2]!;
    await truncate(join(dir, a.file), a.size - 700);
    const r = await verifyArchiveSet(dir);
    assert.ok(r.problems.some((p) => p.file === a.file && /truncated/.test(p.problem)), JSON.stringify(r.problems));
    assert.ok(r.problems.every((p) => p.file === a.file));
    await cliVerify(dir, { file: a.file });
    await assert.rejects(ArchiveSet.open(dir), (e: unknown) => e instanceof ArchiveDamagedError && e.file === a.file && /truncated/.test(e.message));
  });

  it('a missing tar: verify names it, d2m refuses to start', async () => {
    const dir = await copyOf();
    const a = index.archives[1]!;
    await rm(join(dir, a.file));
    const r = await verifyArchiveSet(dir);
    assert.deepEqual(r.problems, [{ file: a.file, problem: 'missing' }]);
    await cliVerify(dir, { file: a.file });
    await assert.rejects(ArchiveSet.open(dir), (e: unknown) => e instanceof ArchiveDamagedError && e.file === a.file && e.message.includes('missing'));
  });

  it('an extra member and a stray archive file: verify names both, d2m refuses', async () => {
    const dir = await copyOf();
    const a = index.archives[0]!;
    // tar -r style: the new member replaces the end marker, a new end marker follows.
    const extra = tarPack();
    extra.entry({ name: 'extra.txt', mtime: new Date(0) }, Buffer.from('not from m2d\n'));
    extra.finalize();
    const chunks: Buffer[] = [];
    for await (const c of extra as unknown as AsyncIterable<Buffer>) chunks.push(c);
    await truncate(join(dir, a.file), a.size - 1024);
    await writeFile(join(dir, a.file), Buffer.concat(chunks), { flag: 'a' });
    await writeFile(join(dir, 'mirror_000099.tar'), await readFile(join(dir, a.file)));
    const r = await verifyArchiveSet(dir);
    assert.ok(r.problems.some((p) => p.file === a.file && p.member === 'extra.txt' && /unknown member/.test(p.problem)), JSON.stringify(r.problems));
    assert.ok(r.problems.some((p) => p.file === a.file && /unexpected bytes after the end/.test(p.problem)));
    assert.ok(r.problems.some((p) => p.file === 'mirror_000099.tar' && /not part of this archive set/.test(p.problem)));
    await cliVerify(dir, { file: a.file, member: 'extra.txt' });
    await assert.rejects(ArchiveSet.open(dir), (e: unknown) => e instanceof ArchiveDamagedError);
  });

  it('a missing index is named; a blob that fails while the writer streams it leaves no bytes in the tar', async () => {
    const dir = await copyOf();
    await rm(join(dir, INDEX_FILE));
    assert.deepEqual((await verifyArchiveSet(dir)).problems.map((p) => p.file), [INDEX_FILE]);
    await assert.rejects(ArchiveSet.open(dir), (e: unknown) => e instanceof ArchiveDamagedError && e.file === INDEX_FILE);

    const out = join(work, 'takeback');
    const w = await ArchiveWriter.create({ dir: out, archiveSize: 1 * MiB });
    const good = Buffer.alloc(3000, 7);
    const goodDigest = `sha256:${(await import('node:crypto')).createHash('sha256').update(good).digest('hex')}` as Digest;
    const liar = { digest: goodDigest.replace(/.$/, (c) => (c === '0' ? '1' : '0')) as Digest, size: 3000 };
    await assert.rejects(w.putBlob(liar, Readable.from([good])), /hashes to/);
    await w.putBlob({ digest: goodDigest, size: good.length }, Readable.from([good]));
    await w.addFile('isc_2026-12-02T05:00:00Z.yaml', Buffer.from('kind: ImageSetConfiguration\n'));
    assert.throws(() => w.addFile('docker/registry/v2/x', Buffer.alloc(1)), /not a name an extra archive file may have/);
    assert.deepEqual(await readdir(out), ['mirror_000001.tar.partial'], 'nothing visible before commit');
    const idx = await w.commit();
    assert.deepEqual(Object.keys(idx.blobs), [goodDigest]);
    assert.deepEqual(idx.files, { 'isc_2026-12-02T05:00:00Z.yaml': 'mirror_000001.tar' });
    assert.deepEqual((await readdir(out)).sort(), ['mirror_000001.tar', INDEX_FILE]);
    assert.deepEqual((await verifyArchiveSet(out)).problems, []);
    const set = await ArchiveSet.open(out);
    const m = set.member(blobMember(goodDigest))!;
    assert.equal(m.entry.offset, 512, 'the good blob sits where the failed one was');
    assert.deepEqual(await set.readMember(m), good);

    // --strict-archive: a blob larger than the archive size is refused, nothing is left behind.
    const strictDir = join(work, 'strict');
    const strict = await ArchiveWriter.create({ dir: strictDir, archiveSize: 64 * 1024, strict: true });
    const big = Buffer.alloc(80 * 1024, 1);
    const bigDigest = `sha256:${(await import('node:crypto')).createHash('sha256').update(big).digest('hex')}` as Digest;
    await assert.rejects(strict.putBlob({ digest: bigDigest, size: big.length }, Readable.from([big])), /larger than the archive size 65536; raise archiveSize or drop --strict-archive/);
    await strict.abort();
    assert.deepEqual(await readdir(strictDir), []);
  });
});
