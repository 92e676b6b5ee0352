/**
 * `airlock image extract` against a loopback airlock registry and an OCI
 * layout: top-most layer wins, whiteouts and opaque whiteouts, a directory
 * replaced by a file and the reverse, one file out of /usr/bin, globs,
 * --confirm, manifest-list platforms, --dry-run and JSON, absolute symbolic
 * links (rewritten relative; left out of a part that cannot hold their
 * target), and a layer whose bytes do not match its digest (nothing written).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { airlock, fileStoreImage, layoutImage, pushLayers, pushMultiArch, rawLayer, tree } from './support.js';

describe('airlock image extract', () => {
  let work: string;
  let reg: AirlockHandle;
  let image: string;
  let multi: string;
  let digests: string[];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-extract-'));
    reg = await startAirlock();
    const base = await rawLayer([
      { name: 'etc/', type: 'directory', mode: 0o750 },
      { name: 'etc/a.conf', data: 'base a\n' },
      { name: 'etc/b.conf', data: 'base b\n' },
      { name: 'etc/c.txt', data: 'c\n' },
      { name: 'opt/old/x', data: 'old dir content\n' },
      { name: 'srv', data: 'srv was a file\n' },
      { name: 'usr/bin/tool', data: 'tool v1\n', mode: 0o755 },
      { name: 'usr/bin/other', data: 'other\n', mode: 0o755 },
      { name: 'data/keep', data: 'k\n' },
      { name: 'data/sub/deep', data: 'deep\n' },
    ]);
    const middle = await rawLayer([
      { name: 'usr/bin/tool', data: 'tool v2\n', mode: 0o755 },
      { name: 'etc/.wh.b.conf' },
      { name: 'data/', type: 'directory' },
      { name: 'data/.wh..wh..opq' },
      { name: 'data/new', data: 'n\n' },
      { name: 'opt/old', data: 'now a file\n', mode: 0o600 },
      { name: 'srv/', type: 'directory', mode: 0o700 },
      { name: 'srv/f', data: 'f\n' },
    ]);
    const top = await rawLayer([{ name: 'etc/a.conf', data: 'top a\n', mode: 0o640 }]);
    digests = [base.digest, middle.digest, top.digest];
    image = `${reg.hostPort}/extract/app:v1`;
    await pushLayers(reg.hostPort, 'extract/app', 'v1', [base, middle, top]);
    const arch = async (a: string) => [await rawLayer([{ name: 'arch', data: `${a}\n` }])];
    multi = `${reg.hostPort}/extract/multi:v1`;
    await pushMultiArch(reg.hostPort, 'extract/multi', 'v1', { amd64: await arch('amd64'), arm64: await arch('arm64'), s390x: await arch('s390x') });
  });

  after(async () => {
    await reg?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** A fresh empty directory under `work`. */
  async function fresh(name: string): Promise<string> {
    const d = join(work, name);
    await mkdir(d);
    return d;
  }

  it('--path /:DIR applies the layers top-down: overrides, whiteouts, opaque directories, file/directory replacement', async () => {
    const out = await fresh('all');
    const r = await airlock(['image', 'extract', '--insecure', image, '--path', `/:${out}`], work);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await tree(out), [
      'data/', 'data/new',
      'etc/', 'etc/a.conf', 'etc/c.txt',
      'opt/', 'opt/old',
      'srv/', 'srv/f',
      'usr/', 'usr/bin/', 'usr/bin/other', 'usr/bin/tool',
    ]);
    assert.equal(await readFile(join(out, 'etc/a.conf'), 'utf8'), 'top a\n', 'the top-most layer wins');
    assert.equal(await readFile(join(out, 'usr/bin/tool'), 'utf8'), 'tool v2\n');
    assert.equal(await readFile(join(out, 'opt/old'), 'utf8'), 'now a file\n', 'a file in an upper layer hides the lower directory');
    assert.equal((await stat(join(out, 'usr/bin/tool'))).mode & 0o7777, 0o755);
    assert.equal((await stat(join(out, 'etc/a.conf'))).mode & 0o7777, 0o640);
    assert.equal((await stat(join(out, 'opt/old'))).mode & 0o7777, 0o600);
    assert.equal((await stat(join(out, 'etc'))).mode & 0o7777, 0o750, 'directory mode from the (lower) layer that has its header');
    assert.equal((await stat(join(out, 'srv'))).mode & 0o7777, 0o700);
    assert.equal((await stat(join(out, 'etc/a.conf'))).mtimeMs, 1_700_000_000_000);
    assert.match(r.stderr, /info: extracted 1[0-9] entries/);
  });

  it('--file pulls one binary into the current directory; --path /usr/bin/tool:DIR does the same; the walk stops at the layer that settles it', async () => {
    const cwd = await fresh('file');
    const r = await airlock(['image', 'extract', '--insecure', '-o', 'json', image, '--file', '/usr/bin/tool'], cwd);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await tree(cwd), ['tool']);
    assert.equal(await readFile(join(cwd, 'tool'), 'utf8'), 'tool v2\n');
    assert.equal((await stat(join(cwd, 'tool'))).mode & 0o777, 0o755);
    const doc = JSON.parse(r.stdout) as { layers: number; layersRead: number; entries: { path: string; layer: number; layerDigest: string; mode: string }[] };
    assert.equal(doc.layers, 3);
    assert.equal(doc.layersRead, 2, 'the base layer is not read: the middle one settled usr/bin/tool');
    assert.deepEqual(doc.entries.map((e) => [e.path, e.layer, e.layerDigest, e.mode]), [[join(cwd, 'tool'), 1, digests[1], '0755']]);
    const dir = await fresh('file-path');
    const p = await airlock(['image', 'extract', '--insecure', image, '--path', `/usr/bin/tool:${dir}`], work);
    assert.equal(p.code, 0, p.stderr);
    assert.deepEqual(await tree(dir), ['tool']);
  });

  it('a glob in the last segment and a directory SRC select what oc selects', async () => {
    const confs = await fresh('glob');
    const r = await airlock(['image', 'extract', '--insecure', image, '--path', `/etc/*.conf:${confs}`], work);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await tree(confs), ['a.conf'], 'b.conf is whited out, c.txt does not match');
    const bin = await fresh('bin');
    const d = await airlock(['image', 'extract', '--insecure', image, '--path', `/usr/bin/:${bin}`, '--path', `/data:${await fresh('data')}`], work);
    assert.equal(d.code, 0, d.stderr);
    assert.deepEqual(await tree(bin), ['other', 'tool']);
    assert.deepEqual(await tree(join(work, 'data')), ['data/', 'data/new']);
    const missing = await airlock(['image', 'extract', '--insecure', image, '--file', '/etc/b.conf'], await fresh('missing'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /--file \/etc\/b\.conf: \/etc\/b\.conf was not found in the image/);
  });

  it('a path under a symbolic link of the image is not followed; the error says so', async () => {
    await pushLayers(reg.hostPort, 'extract/usrmerge', 'v1', [await rawLayer([{ name: 'bin', type: 'symlink', linkname: 'usr/bin' }, { name: 'usr/bin/bash', data: 'bash\n', mode: 0o755 }])]);
    const cwd = await fresh('usrmerge');
    const r = await airlock(['image', 'extract', '--insecure', `${reg.hostPort}/extract/usrmerge:v1`, '--file', '/bin/bash'], cwd);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\/bin\/bash was not found in the image \(\/bin is a symbolic link in the image: name the path it points to\)/);
    assert.deepEqual(await tree(cwd), []);
    const ok = await airlock(['image', 'extract', '--insecure', `${reg.hostPort}/extract/usrmerge:v1`, '--file', '/usr/bin/bash'], cwd);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(await tree(cwd), ['bash']);
  });

  it('absolute symbolic links point to the same image path inside DST; a part of the image leaves out those it cannot hold', async () => {
    await pushLayers(reg.hostPort, 'extract/links', 'v1', [
      await rawLayer([
        { name: 'usr/bin/foo-real', data: 'foo\n', mode: 0o755 },
        { name: 'usr/lib64/', type: 'directory' },
        { name: 'lib64', type: 'symlink', linkname: '/usr/lib64' },
      ]),
      await rawLayer([
        { name: 'etc/alternatives/foo', type: 'symlink', linkname: '/usr/bin/foo-real' },
        { name: 'usr/bin/foo', type: 'symlink', linkname: '/etc/alternatives/foo' },
        { name: 'usr/bin/same', type: 'symlink', linkname: '/usr/bin/foo-real' },
        { name: 'usr/bin/rel', type: 'symlink', linkname: 'foo-real' },
        { name: 'usr/bin/root', type: 'symlink', linkname: '/' },
      ]),
    ]);
    const ref = `${reg.hostPort}/extract/links:v1`;
    const parent = await fresh('links');
    const out = join(parent, 'out');
    await mkdir(out);
    const r = await airlock(['image', 'extract', '--insecure', ref, '--path', `/:${out}`], work);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await tree(parent), [
      'out/',
      'out/etc/', 'out/etc/alternatives/', 'out/etc/alternatives/foo -> ../../usr/bin/foo-real',
      'out/lib64 -> usr/lib64',
      'out/usr/', 'out/usr/bin/',
      'out/usr/bin/foo -> ../../etc/alternatives/foo', 'out/usr/bin/foo-real', 'out/usr/bin/rel -> foo-real', 'out/usr/bin/root -> ../..', 'out/usr/bin/same -> foo-real',
      'out/usr/lib64/',
    ], 'every link stays inside the target; nothing beside it');
    assert.equal(await readFile(join(out, 'usr/bin/foo'), 'utf8'), 'foo\n', 'the alternatives chain resolves inside the target');
    assert.equal(await realpath(join(out, 'usr/bin/root')), await realpath(out));

    const bin = await fresh('links-bin');
    const p = await airlock(['image', 'extract', '--insecure', '-o', 'json', ref, '--path', `/usr/bin/:${bin}`], work);
    assert.equal(p.code, 0, p.stderr);
    assert.deepEqual(await tree(bin), ['foo-real', 'rel -> foo-real', 'same -> foo-real']);
    const doc = JSON.parse(p.stdout) as { entries: { path: string; linkname?: string }[]; warnings: string[] };
    assert.deepEqual(doc.entries.filter((e) => e.linkname !== undefined).map((e) => [e.path, e.linkname]).sort(), [[join(bin, 'rel'), 'foo-real'], [join(bin, 'same'), 'foo-real']]);
    assert.deepEqual(doc.warnings.map((w) => w.replace(/sha256:[0-9a-f]{64}/, 'L')).sort(), [
      `leaving out symbolic link /usr/bin/foo -> /etc/alternatives/foo (layer L): /etc/alternatives/foo is outside /usr/bin, which --path /usr/bin/:${bin} extracts; extract a path that holds both`,
      `leaving out symbolic link /usr/bin/root -> / (layer L): / is outside /usr/bin, which --path /usr/bin/:${bin} extracts; extract a path that holds both`,
    ]);
    assert.match(p.stderr, /^warning: leaving out symbolic link \/usr\/bin\/foo -> \/etc\/alternatives\/foo /m);
  });

  it('refuses a non-empty directory without --confirm; with it, replaces files and keeps the rest', async () => {
    const dir = await fresh('confirm');
    await writeFile(join(dir, 'mine'), 'keep me');
    await mkdir(join(dir, 'etc'));
    await writeFile(join(dir, 'etc/a.conf'), 'old');
    const refused = await airlock(['image', 'extract', '--insecure', image, '--path', `/etc/:${join(dir, 'etc')}`], work);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /directory .*confirm\/etc must be empty, pass --confirm to overwrite contents of directory/);
    assert.equal(await readFile(join(dir, 'etc/a.conf'), 'utf8'), 'old');
    const ok = await airlock(['image', 'extract', '--insecure', '--confirm', image, '--path', `/:${dir}`], work);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(await readFile(join(dir, 'etc/a.conf'), 'utf8'), 'top a\n');
    assert.equal(await readFile(join(dir, 'mine'), 'utf8'), 'keep me');
    assert.equal((await tree(dir)).filter((p) => p.startsWith('.')).length, 0, 'no staging directory left');
    const nodir = await airlock(['image', 'extract', '--insecure', image, '--path', `/:${join(work, 'nope')}`], work);
    assert.equal(nodir.code, 2);
    assert.match(nodir.stderr, /destination path does not exist: .*nope \(create it first\)/);
  });

  it('picks the platform of a manifest list: this machine by default, --filter-by-os otherwise', async () => {
    const host = await fresh('host');
    const r = await airlock(['image', 'extract', '--insecure', multi, '--file', '/arch'], host);
    assert.equal(r.code, 0, r.stderr);
    const hostArch = process.arch === 'arm64' ? 'arm64' : process.arch === 's390x' ? 's390x' : 'amd64';
    assert.equal(await readFile(join(host, 'arch'), 'utf8'), `${hostArch}\n`);
    const arm = await fresh('arm');
    const a = await airlock(['image', 'extract', '--insecure', '--filter-by-os', 'linux/arm64', '-o', 'json', multi, '--file', '/arch'], arm);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(await readFile(join(arm, 'arch'), 'utf8'), 'arm64\n');
    assert.equal((JSON.parse(a.stdout) as { platform: string }).platform, 'linux/arm64');
    const none = await airlock(['image', 'extract', '--insecure', '--filter-by-os', 'windows/.*', multi, '--file', '/arch'], await fresh('none'));
    assert.equal(none.code, 1);
    assert.match(none.stderr, /--filter-by-os windows\/\.\* matches none of the images in the list \(linux\/amd64, linux\/arm64, linux\/s390x\)/);
    const many = await airlock(['image', 'extract', '--insecure', '--filter-by-os', 'linux/.*', multi, '--file', '/arch'], await fresh('many'));
    assert.equal(many.code, 1);
    assert.match(many.stderr, /matches 3 images .*make it match one/);
  });

  it('--dry-run lists what would be written (oc layout) and writes nothing; -o json lists entries', async () => {
    const dir = await fresh('dry');
    await writeFile(join(dir, 'existing'), 'x');
    const r = await airlock(['image', 'extract', '--insecure', '--dry-run', image, '--path', `/usr/bin/:${dir}`], work);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, [` 1 -rwxr-xr-x            8 ${dir}/tool`, ` 0 -rwxr-xr-x            6 ${dir}/other`, ''].join('\n'));
    assert.deepEqual(await tree(dir), ['existing']);
  });

  it('reads from oc\'s file:// store with --from-dir', async () => {
    const store = join(work, 'store');
    await fileStoreImage(store, 'mirror/app', 'v1', [await rawLayer([{ name: 'usr/bin/oc', data: 'oc\n', mode: 0o755 }])]);
    const cwd = await fresh('from-dir');
    const r = await airlock(['image', 'extract', '--from-dir', store, 'file://mirror/app:v1', '--file', '/usr/bin/oc'], cwd);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await readFile(join(cwd, 'oc'), 'utf8'), 'oc\n');
  });

  it('modes: setuid/setgid and owners only with --preserve-ownership (owners only as root)', async () => {
    const layer = await rawLayer([{ name: 'bin/su', data: 'su\n', mode: 0o4755, uid: 1234, gid: 5678 }, { name: 'shared/', type: 'directory', mode: 0o2775, uid: 1234, gid: 5678 }]);
    await pushLayers(reg.hostPort, 'extract/modes', 'v1', [layer]);
    const ref = `${reg.hostPort}/extract/modes:v1`;
    const plain = await fresh('modes-plain');
    const a = await airlock(['image', 'extract', '--insecure', ref, '--path', `/:${plain}`], work);
    assert.equal(a.code, 0, a.stderr);
    const su = await stat(join(plain, 'bin/su'));
    assert.equal(su.mode & 0o7777, 0o755, 'setuid masked');
    assert.equal((await stat(join(plain, 'shared'))).mode & 0o7777, 0o775, 'setgid masked');
    assert.equal(su.uid, process.getuid!(), 'owned by whoever ran it');
    const kept = await fresh('modes-kept');
    const b = await airlock(['image', 'extract', '--insecure', '-p', ref, '--path', `/:${kept}`], work);
    assert.equal(b.code, 0, b.stderr);
    const su2 = await stat(join(kept, 'bin/su'));
    assert.equal(su2.mode & 0o7777, 0o4755);
    assert.equal((await stat(join(kept, 'shared'))).mode & 0o7777, 0o2775);
    if (process.getuid!() === 0) {
      assert.deepEqual([su2.uid, su2.gid], [1234, 5678]);
    } else {
      assert.match(b.stderr, /not running as root, so file owners are not kept/);
    }
  });

  it('reads from an oci: layout; a layer whose bytes do not match its digest fails and leaves nothing', async () => {
    const layout = join(work, 'layout');
    const good = await rawLayer([{ name: 'hello', data: 'from the layout\n' }]);
    const lower = await rawLayer([{ name: 'lower', data: 'lower\n' }]);
    await layoutImage(layout, 'good', [lower, good]);
    const out = await fresh('layout-out');
    const r = await airlock(['image', 'extract', `oci:${layout}:good`, '--path', `/:${out}`], work);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await tree(out), ['hello', 'lower']);

    // Corrupt the LOWEST layer: the top layer has already been staged when the digest check fails.
    const blobPath = join(layout, 'blobs', 'sha256', lower.digest.slice('sha256:'.length));
    const bad = await rawLayer([{ name: 'lower', data: 'tampered\n' }]);
    const tampered = Buffer.concat([bad.blob, Buffer.alloc(Math.max(0, lower.blob.length - bad.blob.length))]).subarray(0, lower.blob.length);
    await writeFile(blobPath, tampered);
    const parent = await fresh('corrupt');
    const target = join(parent, 'out');
    await mkdir(target);
    const c = await airlock(['image', 'extract', `oci:${layout}:good`, '--path', `/:${target}`], work);
    assert.equal(c.code, 1, c.stderr);
    assert.match(c.stderr, new RegExp(`blob ${lower.digest}: content hashes to sha256:`));
    assert.deepEqual(await tree(parent), ['out/'], 'nothing written, no staging directory left');
  });
});
