/**
 * The one image walk (src/extract/image-walk.ts) and its sinks
 * (src/extract/image-files.ts), on layered images built byte by byte with
 * test/fixtures/raw-tar.ts and served by an in-memory source that counts
 * every blob it hands out: the union rules (first occurrence wins, whiteouts,
 * opaque directories, a file over a directory and the reverse), early stops
 * that never fetch the layers below, and digest mismatches naming the layer.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { digestOf } from '../../src/oci/digest.js';
import type { BlobInfo, ImageSource } from '../../src/transports/types.js';
import { walkImage } from '../../src/extract/image-walk.js';
import { readImageFiles, writeImageTree } from '../../src/extract/image-files.js';
import { readEntry } from '../../src/extract/layer-tar.js';
import { END, member } from '../fixtures/raw-tar.js';

type Spec = { name: string; type?: 'dir' | 'file' | 'symlink'; data?: string; link?: string };

const FLAG = { file: 0x30, symlink: 0x32, dir: 0x35 } as const;

/** A plain tar layer holding exactly `entries`, in order. */
function layer(entries: readonly Spec[]): Buffer {
  return Buffer.concat([
    ...entries.map((e) => {
      const data = Buffer.from(e.data ?? '');
      const type = e.type ?? 'file';
      return member({ name: Buffer.from(e.name), typeflag: FLAG[type], size: type === 'file' ? data.length : 0, ...(e.link ? { linkname: Buffer.from(e.link) } : {}) }, type === 'file' ? data : Buffer.alloc(0));
    }),
    END,
  ]);
}

/** An image source over in-memory blobs that records which blobs were fetched. */
class CountingSource implements Pick<ImageSource, 'getBlob'> {
  readonly fetched: string[] = [];
  constructor(private readonly blobs: Map<string, Buffer>) {}
  getBlob(blob: BlobInfo): Promise<Readable> {
    this.fetched.push(blob.digest);
    const b = this.blobs.get(blob.digest);
    if (b === undefined) throw new Error(`no blob ${blob.digest}`);
    return Promise.resolve(Readable.from([b]));
  }
}

/** `layers` bottom-most first, as in a manifest; `lie` serves other bytes than the descriptor of that layer says. */
function image(layers: readonly (readonly Spec[])[], lie?: number): { src: ImageSource & CountingSource; descs: BlobInfo[] } {
  const blobs = new Map<string, Buffer>();
  const descs = layers.map((entries, i) => {
    const blob = layer(entries);
    const desc = { digest: digestOf(blob), size: blob.length, mediaType: 'application/vnd.oci.image.layer.v1.tar' };
    blobs.set(desc.digest, i === lie ? Buffer.concat([blob.subarray(0, blob.length - 1), Buffer.from([1])]) : blob);
    return desc;
  });
  return { src: new CountingSource(blobs) as unknown as ImageSource & CountingSource, descs };
}

/** What the walk hands out, as `path=content@layer` (`path/@layer` for a directory, `path->target@layer` for a link). */
async function visible(src: ImageSource, descs: readonly BlobInfo[], under?: string[]): Promise<string[]> {
  const out: string[] = [];
  await walkImage(src, descs, {
    ...(under ? { under } : {}),
    visit: async (e, body, at) => {
      const text = e.type === 'file' ? `=${(await readEntry(body, 1 << 20, e.path)).toString()}` : e.type === 'directory' ? '/' : `->${e.linkname}`;
      out.push(`${e.path}${text}@${at.layer}`);
    },
  });
  return out.sort();
}

describe('image walk', () => {
  it('the first occurrence of a path wins, from the top-most layer down', async () => {
    const { src, descs } = image([
      [{ name: 'etc/', type: 'dir' }, { name: 'etc/a', data: 'bottom' }, { name: 'etc/b', data: 'only-bottom' }],
      [{ name: 'etc/a', data: 'top' }],
    ]);
    assert.deepEqual(await visible(src, descs), ['etc/@0', 'etc/a=top@1', 'etc/b=only-bottom@0']);
  });

  it('a whiteout hides the path and everything under it in lower layers, not in its own layer', async () => {
    const { src, descs } = image([
      [{ name: 'gone', data: 'x' }, { name: 'tree/', type: 'dir' }, { name: 'tree/deep', data: 'y' }, { name: 'kept', data: 'k' }],
      [{ name: '.wh.gone' }, { name: '.wh.tree' }, { name: 'tree/new', data: 'same layer' }],
    ]);
    assert.deepEqual(await visible(src, descs), ['kept=k@0', 'tree/new=same layer@1']);
  });

  it('an opaque directory hides the lower layers children but not its own layers', async () => {
    const { src, descs } = image([
      [{ name: 'd/', type: 'dir' }, { name: 'd/old', data: 'lower' }, { name: 'e', data: 'outside' }],
      [{ name: 'd/', type: 'dir' }, { name: 'd/.wh..wh..opq' }, { name: 'd/new', data: 'upper' }],
    ]);
    assert.deepEqual(await visible(src, descs), ['d/@1', 'd/new=upper@1', 'e=outside@0']);
  });

  it('a file hides a lower directory, and a directory hides a lower file', async () => {
    const { src, descs } = image([
      [{ name: 'a/', type: 'dir' }, { name: 'a/child', data: 'hidden' }, { name: 'b', data: 'lower file' }],
      [{ name: 'a', data: 'file now' }, { name: 'b/', type: 'dir' }, { name: 'b/in', data: 'dir now' }],
    ]);
    assert.deepEqual(await visible(src, descs), ['a=file now@1', 'b/@1', 'b/in=dir now@1']);
  });

  it('a link hides what lower layers hold below it', async () => {
    const { src, descs } = image([[{ name: 'l/', type: 'dir' }, { name: 'l/x', data: 'hidden' }], [{ name: 'l', type: 'symlink', link: '/etc' }]]);
    assert.deepEqual(await visible(src, descs), ['l->/etc@1']);
  });

  it('a stop skips the rest, and the layers below are never fetched', async () => {
    const { src, descs } = image([[{ name: 'bin/tool', data: 'old' }], [{ name: 'other', data: 'o' }], [{ name: 'bin/tool', data: 'new' }, { name: 'after', data: 'z' }]]);
    const seen: string[] = [];
    const r = await walkImage(src, descs, {
      visit: (e) => {
        seen.push(e.path);
        return e.path === 'bin/tool' ? 'stop' : undefined;
      },
    });
    assert.deepEqual(seen, ['bin/tool']);
    assert.equal(r.layersRead, 1);
    assert.deepEqual(src.fetched, [descs[2]!.digest]);
  });

  it('with `under`, the walk ends at the first layer below which nothing there can change', async () => {
    const { src, descs } = image([[{ name: 'db/index.db', data: 'stale' }], [{ name: 'db/index.db', data: 'fresh' }, { name: 'elsewhere', data: 'e' }]]);
    assert.deepEqual(await visible(src, descs, ['/db/index.db']), ['db/index.db=fresh@1']);
    assert.deepEqual(src.fetched, [descs[1]!.digest]);
    const opaque = image([[{ name: 'cfg/old', data: 'x' }], [{ name: 'cfg/.wh..wh..opq' }, { name: 'cfg/new', data: 'y' }]]);
    assert.deepEqual(await visible(opaque.src, opaque.descs, ['cfg']), ['cfg/new=y@1']);
    assert.deepEqual(opaque.src.fetched, [opaque.descs[1]!.digest], 'an opaque directory settles the layers below');
  });

  it('with `under`, whiteouts of an ancestor still apply and unrelated entries are ignored', async () => {
    const { src, descs } = image([[{ name: 'cfg/a', data: 'lower' }, { name: 'x/y', data: 'unrelated' }], [{ name: '.wh.cfg' }]]);
    assert.deepEqual(await visible(src, descs, ['cfg']), []);
    assert.deepEqual(src.fetched, [descs[1]!.digest], 'a whited-out path is settled');
  });

  it('a layer whose bytes do not match its digest fails, naming the layer', async () => {
    const { src, descs } = image([[{ name: 'a', data: 'x' }], [{ name: 'b', data: 'y' }]], 0);
    await assert.rejects(visible(src, descs), (e: Error) => {
      assert.equal((e as { code?: string }).code, 'ERR_DIGEST_MISMATCH');
      assert.ok(e.message.includes(descs[0]!.digest), e.message);
      return true;
    });
  });

  it('an entry below a link of the same layer is refused', async () => {
    const { src, descs } = image([[{ name: 'l', type: 'symlink', link: '/etc' }, { name: 'l/passwd', data: 'x' }]]);
    await assert.rejects(visible(src, descs), { code: 'ERR_UNSAFE_TAR_ENTRY' });
  });
});

describe('image file sinks', () => {
  it('a later entry of the same layer replaces an earlier one, in both sinks', async () => {
    const { src, descs } = image([[{ name: 'c/x', data: 'lower' }], [{ name: 'c/x', data: 'first!' }, { name: 'c/x', data: 'second' }]]);
    const got = await readImageFiles(src, descs, ['c'], { maxBytes: 100 });
    assert.equal(got.files.get('c/x')?.toString(), 'second');
    const into = await mkdtemp(join(tmpdir(), 'airlock-image-walk-'));
    try {
      assert.deepEqual(await writeImageTree(src, descs, 'c', into, { maxBytes: 100, maxFiles: 1 }), { files: 1, bytes: 6, skipped: 0, found: true });
      assert.equal(await readFile(join(into, 'x'), 'utf8'), 'second');
    } finally {
      await rm(into, { recursive: true, force: true });
    }
  });

  it('readImageFiles keeps the visible files under the paths, and its caps', async () => {
    const { src, descs } = image([
      [{ name: 'm/a', data: 'lower-a' }, { name: 'm/b', data: 'lower-b' }, { name: 'n/c', data: 'not asked' }],
      [{ name: 'm/a', data: 'upper-a' }, { name: 'm/l', type: 'symlink', link: 'a' }],
    ]);
    const got = await readImageFiles(src, descs, ['m'], { maxBytes: 1 << 20 });
    assert.deepEqual([...got.files].map(([p, d]) => `${p}=${d.toString()}`).sort(), ['m/a=upper-a', 'm/b=lower-b']);
    assert.deepEqual([...got.links.keys()], ['m/l']);
    assert.equal(got.layersRead, 2);
    const early = await readImageFiles(src, descs, ['m'], { maxBytes: 1 << 20, until: (g) => g.files.has('m/a') });
    assert.equal(early.layersRead, 1);
    await assert.rejects(readImageFiles(src, descs, ['m'], { maxBytes: 10 }), { code: 'ERR_IMAGE_FILES_LIMIT' });
    await assert.rejects(readImageFiles(src, descs, ['m'], { maxBytes: 100, maxFileBytes: 3 }), { code: 'ERR_IMAGE_FILES_LIMIT', message: /\/m\/a: larger than 3 bytes/ });
  });

  it('writeImageTree writes the visible regular files under a path, relative to it', async () => {
    const { src, descs } = image([
      [{ name: 'configs/p/catalog.json', data: '{"lower":1}' }, { name: 'configs/gone.json', data: 'x' }],
      [{ name: 'configs/.wh.gone.json' }, { name: 'configs/q/index.json', data: '{}' }, { name: 'configs/link', type: 'symlink', link: '/etc/passwd' }],
    ]);
    const into = await mkdtemp(join(tmpdir(), 'airlock-image-walk-'));
    try {
      const tree = await writeImageTree(src, descs, '/configs/', into, { maxBytes: 1 << 20, maxFiles: 10 });
      assert.deepEqual(tree, { files: 2, bytes: 13, skipped: 1, found: true });
      assert.deepEqual((await readdir(into, { recursive: true })).sort(), ['p', 'p/catalog.json', 'q', 'q/index.json']);
      assert.equal(await readFile(join(into, 'p/catalog.json'), 'utf8'), '{"lower":1}');
      const one = await mkdtemp(join(tmpdir(), 'airlock-image-walk-'));
      try {
        assert.deepEqual(await writeImageTree(src, descs, 'configs/q/index.json', one, { maxBytes: 100, maxFiles: 10 }), { files: 1, bytes: 2, skipped: 0, found: true });
        assert.deepEqual(await readdir(one), ['index.json'], 'a single file keeps its base name');
        assert.deepEqual(await writeImageTree(src, descs, 'nowhere', join(one, 'unused'), { maxBytes: 100, maxFiles: 10 }), { files: 0, bytes: 0, skipped: 0, found: false });
      } finally {
        await rm(one, { recursive: true, force: true });
      }
      await assert.rejects(writeImageTree(src, descs, 'configs', join(into, 'p'), { maxBytes: 1 << 20, maxFiles: 1 }), { code: 'ERR_IMAGE_FILES_LIMIT', message: /more than 1 files/ });
    } finally {
      await rm(into, { recursive: true, force: true });
    }
  });
});
