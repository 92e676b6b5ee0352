/**
 * Hostile tar entries in `airlock image extract`: `..`, absolute names,
 * symlinks out of the target (absolute ones are rewritten to stay inside,
 * relative ones refused) and writes through them, hard links out of the
 * target or to files not extracted, a symlink already in the target
 * directory, device nodes. Each run gets a fresh parent directory holding
 * only the target; after a refusal the parent must list exactly `out/` with
 * nothing in it, so nothing escaped and nothing partial is visible.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, realpath, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { airlock, pushLayers, rawLayer, tree, type RawEntry } from './support.js';

describe('image extract refuses hostile layers', () => {
  let work: string;
  let reg: AirlockHandle;
  let n = 0;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-extract-hostile-'));
    reg = await startAirlock();
  });

  after(async () => {
    await reg?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** Pushes `layers` as one image, extracts `/` into <fresh parent>/out; returns the run, the parent and the layer digests. */
  async function run(layers: RawEntry[][], extra: string[] = [], prepare?: (out: string, parent: string) => Promise<void>) {
    const built = [];
    for (const l of layers) built.push(await rawLayer(l));
    const tag = `t${++n}`;
    await pushLayers(reg.hostPort, 'hostile/img', tag, built);
    const parent = join(work, tag);
    const out = join(parent, 'out');
    await mkdir(out, { recursive: true });
    await prepare?.(out, parent);
    const r = await airlock(['image', 'extract', '--insecure', `${reg.hostPort}/hostile/img:${tag}`, '--path', `/:${out}`, ...extra], work);
    return { r, parent, out, digests: built.map((b) => b.digest) };
  }

  async function refused(layers: RawEntry[][], error: RegExp, extra: string[] = []): Promise<void> {
    const { r, parent, digests } = await run(layers, extra);
    assert.equal(r.code, 1, `expected a refusal\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.match(r.stderr, error);
    assert.ok(digests.some((d) => r.stderr.includes(d)), `the error names the layer digest: ${r.stderr}`);
    assert.deepEqual(await tree(parent), ['out/'], 'nothing outside the target, nothing inside it');
  }

  const ok = { name: 'fine', data: 'fine\n' };

  it('an entry climbing out with ".."', async () => {
    await refused([[ok, { name: '../x', data: 'escaped' }]], /refusing tar entry that climbs out with "\.\.": \.\.\/x/);
    await refused([[ok, { name: 'a/../../x', data: 'escaped' }]], /climbs out/);
  });

  it('an absolute name', async () => {
    const target = join(work, 'abs-escape');
    await refused([[ok, { name: target, data: 'escaped' }]], new RegExp(`refusing tar entry with an absolute path: ${target}`));
    await assert.rejects(stat(target), { code: 'ENOENT' });
  });

  it('an absolute symlink is rewritten to the same path inside the target, never above it; a file written through it is refused', async () => {
    const victim = join(work, 'victim');
    await mkdir(victim);
    const { r, parent, out } = await run([[
      ok,
      { name: 'evil', type: 'symlink', linkname: victim },
      { name: 'd/', type: 'directory' },
      { name: 'd/up', type: 'symlink', linkname: '/../../..' },
      { name: 'd/passwd', type: 'symlink', linkname: '/../../etc/./passwd' },
    ]]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await tree(parent), ['out/', 'out/d/', 'out/d/passwd -> ../etc/passwd', 'out/d/up -> ..', `out/evil -> ${victim.slice(1)}`, 'out/fine']);
    assert.equal(await realpath(join(out, 'd/up')), await realpath(out), '"/.." is the image root, which is the target directory');
    assert.deepEqual(await tree(victim), []);
    await refused([[ok, { name: 'evil', type: 'symlink', linkname: victim }, { name: 'evil/file', data: 'through the link' }]], /refusing evil\/file: evil is a symbolic link in the same layer/);
    assert.deepEqual(await tree(victim), []);
  });

  it('a relative symlink climbing out of the target is refused; a ".." after a name cannot climb out through a link', async () => {
    await refused([[{ name: 'a', type: 'symlink', linkname: '../../..' }]], /refusing symbolic link \/a -> \.\.\/\.\.\/\.\.: it points outside the target directory \(extracting to .*\/out; use --only-files/);
    await refused([[{ name: 'd/', type: 'directory' }, { name: 'd/up', type: 'symlink', linkname: '../..' }]], /symbolic link \/d\/up -> \.\.\/\.\./);
    // a -> . makes a/a/a/.. the parent of the target on disk, though not on paper
    const { r, out } = await run([[{ name: 'a', type: 'symlink', linkname: '.' }, { name: 'b', type: 'symlink', linkname: 'a/a/a/..' }]]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await tree(out), ['a -> .', 'b -> a/a']);
    assert.equal(await realpath(join(out, 'b')), await realpath(out));
  });

  it('a write through a link of the same layer, even one pointing inside (and with --only-files)', async () => {
    const layer: RawEntry[] = [{ name: 'real/', type: 'directory' }, { name: 'inside', type: 'symlink', linkname: 'real' }, { name: 'inside/file', data: 'x' }];
    await refused([layer], /refusing inside\/file: inside is a symbolic link in the same layer, and writing through it could leave the target directory/);
    const victim = join(work, 'victim2');
    await mkdir(victim);
    await refused([[{ name: 'evil', type: 'symlink', linkname: victim }, { name: 'evil/file', data: 'x' }]], /refusing evil\/file: evil is a symbolic link/, ['--only-files']);
    assert.deepEqual(await tree(victim), []);
  });

  it('hard links to absolute names, out with "..", to files not extracted, or to nothing', async () => {
    await refused([[ok, { name: 'passwd', type: 'link', linkname: '/etc/passwd' }]], /refusing hard link \/passwd -> \/etc\/passwd in layer sha256:[0-9a-f]{64}: its target is a name with an absolute path/);
    await refused([[ok, { name: 'x', type: 'link', linkname: '../x' }]], /refusing hard link \/x -> \.\.\/x .*climbs out/);
    await refused([[ok, { name: 'x', type: 'link', linkname: 'missing' }]], /refusing hard link \/x -> missing in layer sha256:[0-9a-f]{64}: the image has no file \/missing to link to/);
    await refused([[{ name: 'dir/', type: 'directory' }, { name: 'x', type: 'link', linkname: 'dir' }]], /\/dir is a directory, not a regular file/);
    const { r, parent } = await run([[{ name: 'lib/real', data: 'r' }, { name: 'bin/x', type: 'link', linkname: 'lib/real' }]]);
    assert.equal(r.code, 0, r.stderr);
    const part = join(parent, 'part');
    await mkdir(part);
    const sel = await airlock(['image', 'extract', '--insecure', `${reg.hostPort}/hostile/img:t${n}`, '--path', `/bin/:${part}`], work);
    assert.equal(sel.code, 1);
    assert.match(sel.stderr, /refusing hard link \/bin\/x -> lib\/real .*: \/lib\/real is not extracted by --path \/bin\/:.*; extract a path that holds both/);
    assert.deepEqual(await tree(part), []);
  });

  it('good hard links: in the same layer, and to a file of a lower layer', async () => {
    const { r, out } = await run([[{ name: 'lib/base', data: 'base\n' }], [{ name: 'bin/a', data: 'a\n', mode: 0o755 }, { name: 'bin/b', type: 'link', linkname: 'bin/a' }, { name: 'bin/c', type: 'link', linkname: 'lib/base' }]]);
    assert.equal(r.code, 0, r.stderr);
    const [a, b, c, base] = await Promise.all(['bin/a', 'bin/b', 'bin/c', 'lib/base'].map((p) => stat(join(out, p))));
    assert.equal(a!.ino, b!.ino);
    assert.equal(c!.ino, base!.ino);
    assert.equal(await readFile(join(out, 'bin/c'), 'utf8'), 'base\n');
  });

  it('a symlink already in the target directory is never written through', async () => {
    const outside = join(work, 'outside');
    await mkdir(outside);
    const { r, parent } = await run([[{ name: 'usr/bin/tool', data: 'x' }, { name: 'top', data: 'y' }]], ['--confirm'], async (out) => {
      await symlink(outside, join(out, 'usr'));
    });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /nothing was extracted:\n {2}.*\/out\/usr exists and is a symbolic link, where the image has a directory; refusing to write through or over it/);
    assert.deepEqual(await tree(outside), []);
    assert.deepEqual(await tree(parent), ['out/', `out/usr -> ${outside}`], 'not even the unrelated file appeared');
  });

  it('device nodes and fifos are skipped with a warning; the rest is extracted', async () => {
    const { r, out } = await run([[ok, { name: 'dev/null', type: 'character-device' }, { name: 'dev/sda', type: 'block-device' }, { name: 'run/fifo', type: 'fifo' }]]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: skipping character-device \/dev\/null in layer sha256:[0-9a-f]{64}: device nodes, fifos and unknown entry types are not extracted/);
    assert.match(r.stderr, /warning: skipping fifo \/run\/fifo/);
    assert.deepEqual(await tree(out), ['fine']);
  });
});
