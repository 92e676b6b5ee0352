/**
 * `image extract` of layers whose tar headers are corrupt in ways the fuzz
 * suite (test/fuzz/extract.test.ts) found: a malformed base-256 size field
 * (tar-stream then waited for data forever), numeric fields that are not
 * numbers (chown got NaN), a name component no file system takes (the
 * staging mkdir failed with a raw ENAMETOOLONG). Each is refused with an
 * UnsafeTarEntryError naming the entry, and the target stays empty.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractImage } from '../../src/extract/extract-image.js';
import { UnsafeTarEntryError } from '../../src/extract/layer-tar.js';
import { PathSelector } from '../../src/extract/path-select.js';
import { digestOf } from '../../src/oci/digest.js';
import { parseImageReference } from '../../src/transports/all.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { END, member, paxMember, type RawHeader } from '../fixtures/raw-tar.js';
import { layoutImage } from './support.js';

describe('image extract refuses corrupt tar headers', () => {
  let work: string;
  const hub = new RegistryHub();
  let n = 0;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-extract-corrupt-'));
  });
  after(async () => {
    await hub.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** Extracts a one-layer image of `members` (raw tar members) into an empty directory; returns the error and what the directory holds. */
  async function extractRaw(members: Buffer[], preserveOwnership = false): Promise<{ error: unknown; left: string[] }> {
    const dir = join(work, `i${++n}`);
    const blob = Buffer.concat([...members, END]);
    await layoutImage(join(dir, 'layout'), 'img', [{ blob, digest: digestOf(blob), diffId: digestOf(blob) }]);
    const out = join(dir, 'out');
    await mkdir(out);
    let error: unknown;
    try {
      await extractImage({
        env: { registries: hub },
        ref: parseImageReference(`oci:${join(dir, 'layout')}:img`),
        targets: [{ arg: `--path /:${out}`, selector: new PathSelector('/'), to: await realpath(out) }],
        preserveOwnership,
        warn: () => undefined,
      });
    } catch (e) {
      error = e;
    }
    return { error, left: await readdir(out) };
  }

  const file = (name: string, extra: Partial<RawHeader> = {}, data = Buffer.alloc(0)): Buffer => member({ name: Buffer.from(name), typeflag: 0x30, size: data.length, ...extra }, data);

  it('a malformed base-256 size field (it used to stall the layer walk forever)', async () => {
    const { error, left } = await extractRaw([file('a', { size: { raw: Buffer.from([0x81]) } }), file('b')]);
    assert.ok(error instanceof UnsafeTarEntryError, String(error));
    assert.match(error.message, /^layer sha256:[0-9a-f]{64}: refusing tar entry "a": its size field is not a valid number \(null\)$/);
    assert.deepEqual(left, []);
  });

  it('uid, gid and mode fields that are not numbers, or negative', async () => {
    const cases: [Partial<RawHeader>, RegExp][] = [
      [{ uid: { raw: Buffer.from('zz') } }, /its uid field is not a valid number \(NaN\)/],
      [{ gid: { raw: Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfb]) } }, /its gid field is not a valid number \(-4\)/],
      [{ mode: { raw: Buffer.from('9') } }, /its mode field is not a valid number \(NaN\)/],
    ];
    for (const [extra, re] of cases) {
      const { error, left } = await extractRaw([file('f', extra, Buffer.from('x'))], true);
      assert.ok(error instanceof UnsafeTarEntryError, String(error));
      assert.match(error.message, re);
      assert.deepEqual(left, []);
    }
  });

  it('a name component longer than 255 bytes', async () => {
    const long = 'n'.repeat(256);
    const { error, left } = await extractRaw([file('ok'), paxMember({ path: `d/${long}/x` }), file('placeholder')]);
    assert.ok(error instanceof UnsafeTarEntryError, String(error));
    assert.match(error.message, /refusing tar entry with a name component longer than 255 bytes \(no file system takes it\): "d\/n{115}\.\.\."/);
    assert.deepEqual(left, []);
    const { error: fine } = await extractRaw([paxMember({ path: 'n'.repeat(255) }), file('placeholder')]);
    assert.equal(fine, undefined, '255 bytes is fine');
  });
});
