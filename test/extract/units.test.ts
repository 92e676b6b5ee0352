/** Units of `image extract`: path selection and globs, symbolic link targets, the top-down layer stack, mode strings, SRC:DST parsing. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { modeString } from '../../src/cli/commands/image-extract.js';
import { LayerStack, type Decision } from '../../src/extract/layer-stack.js';
import type { EntryType, LayerEntry } from '../../src/extract/layer-tar.js';
import { planLink } from '../../src/extract/link-target.js';
import { globSegment, PathSelector } from '../../src/extract/path-select.js';
import { splitPathArg } from '../../src/extract/targets.js';

describe('image extract units', () => {
  it('globSegment follows Go path.Match within one segment', () => {
    const m = (p: string, s: string): boolean => globSegment(p).test(s);
    assert.ok(m('*.repo', 'epel.repo'));
    assert.ok(!m('*.repo', 'epel.repo.bak'));
    assert.ok(m('*', ''));
    assert.ok(m('?c', 'oc'));
    assert.ok(!m('?c', 'occ'));
    assert.ok(m('[a-c]x', 'bx'));
    assert.ok(!m('[^a-c]x', 'bx'));
    assert.ok(m('[^a-c]x', 'dx'));
    assert.ok(m('\\*', '*'));
    assert.ok(!m('\\*', 'a'));
    assert.ok(m('a.b', 'a.b') && !m('a.b', 'axb'), 'dots are literal');
    for (const bad of ['[', '[a', 'a\\', '[]', '[z-a]']) assert.throws(() => globSegment(bad), { code: 'ERR_EXTRACT_USAGE' }, bad);
  });

  it('PathSelector maps image paths as oc does', () => {
    const all = new PathSelector('/');
    assert.equal(all.map('usr/bin/oc'), 'usr/bin/oc');
    assert.equal(all.literal, undefined);
    const dir = new PathSelector('/usr/bin/');
    assert.equal(dir.map('usr/bin'), '');
    assert.equal(dir.map('usr/bin/oc'), 'oc');
    assert.equal(dir.map('usr/bin/x/y'), 'x/y');
    assert.equal(dir.map('usr/binx'), undefined);
    assert.equal(dir.literal, undefined);
    const file = new PathSelector('/usr/bin/oc');
    assert.equal(file.literal, 'usr/bin/oc');
    assert.equal(file.map('usr/bin/oc'), 'oc');
    assert.equal(file.map('usr/bin/oc/inner'), 'oc/inner', 'a matching directory comes with its contents');
    assert.equal(file.map('usr/bin/occ'), undefined);
    assert.equal(file.map('usr/bin'), undefined);
    const glob = new PathSelector('/etc/yum.repos.d/*.repo');
    assert.equal(glob.literal, undefined);
    assert.equal(glob.map('etc/yum.repos.d/epel.repo'), 'epel.repo');
    assert.equal(glob.map('etc/yum.repos.d/x.conf'), undefined);
    const top = new PathSelector('/arch');
    assert.equal(top.map('arch'), 'arch');
    assert.equal(top.map('archive'), undefined);
    assert.throws(() => new PathSelector('/usr/../../etc'), { code: 'ERR_EXTRACT_USAGE' });
  });

  it('planLink: absolute targets become relative inside DST, never above the image root; relative ones stay unless they climb out', () => {
    const write = (text: string) => ({ kind: 'write', text });
    // the whole image (DST stands for /)
    assert.deepEqual(planLink('usr/bin/foo', '/etc/alternatives/foo', ''), write('../../etc/alternatives/foo'));
    assert.deepEqual(planLink('usr/bin/foo', '/', ''), write('../..'));
    assert.deepEqual(planLink('top', '/', ''), write('.'));
    assert.deepEqual(planLink('usr/bin/foo', '/../../etc/passwd', ''), write('../../etc/passwd'), '".." stops at the image root');
    assert.deepEqual(planLink('usr/bin/foo', '/usr/./bin//bar', ''), write('bar'));
    assert.deepEqual(planLink('usr/bin/foo', '/usr/lib/x/../y/', ''), write('../lib/y'));
    assert.deepEqual(planLink('lib64', '/usr/lib64', ''), write('usr/lib64'));
    // part of the image: DST stands for usr/bin
    assert.deepEqual(planLink('foo', '/usr/bin/bar', 'usr/bin'), write('bar'));
    assert.deepEqual(planLink('sub/foo', '/usr/bin', 'usr/bin'), write('..'));
    assert.deepEqual(planLink('foo', '/etc/alternatives/foo', 'usr/bin'), { kind: 'outside', imagePath: '/etc/alternatives/foo' });
    assert.deepEqual(planLink('foo', '/usr/binx/y', 'usr/bin'), { kind: 'outside', imagePath: '/usr/binx/y' });
    assert.deepEqual(planLink('foo', '/usr/bin/../../../etc', 'usr/bin'), { kind: 'outside', imagePath: '/etc' });
    // relative targets
    assert.deepEqual(planLink('usr/bin/oc', '../lib/oc', ''), write('../lib/oc'), 'kept as written');
    assert.deepEqual(planLink('usr/bin/oc', './oc-4.16', ''), write('./oc-4.16'));
    assert.deepEqual(planLink('usr/bin/oc', '../../../etc/passwd', ''), { kind: 'refused', why: 'it points outside the target directory' });
    assert.deepEqual(planLink('oc', '../lib/oc', 'usr/bin'), { kind: 'refused', why: 'it points outside the target directory' }, 'relative to DST, not to the image');
    assert.deepEqual(planLink('b', 'a/a/a/..', ''), write('a/a'), 'a ".." after a name is resolved on paper (a -> . would climb out)');
    assert.deepEqual(planLink('d/b', '../x/../y', ''), write('../y'));
    assert.equal(planLink('x', '', '').kind, 'refused');
    assert.equal(planLink('x', 'a\0b', '').kind, 'refused');
  });

  it('splitPathArg splits at the first colon', () => {
    assert.deepEqual(splitPathArg('/usr/bin/:./out:x'), { from: '/usr/bin/', to: './out:x' });
    assert.throws(() => splitPathArg('/usr/bin'), /must be SRC:DST/);
  });

  it('LayerStack: top-most wins, whiteouts, opaque directories, replaced directories, same-layer writes through links', () => {
    const s = new LayerStack();
    const e = (path: string, type: EntryType = 'file'): LayerEntry => ({ path, type, size: 0, mode: 0o644, uid: 0, gid: 0 });
    const d = (layer: number, path: string, type?: EntryType): Decision => s.decide(e(path, type), layer, `layer${layer}`);
    // layer 2 (top)
    assert.equal(d(2, 'etc/a'), 'new');
    assert.equal(d(2, 'etc/.wh.b'), 'whiteout');
    assert.equal(d(2, 'etc/b'), 'new', "a layer's whiteouts do not hide its own entries");
    assert.equal(d(2, 'var/.wh..wh..opq'), 'whiteout');
    assert.equal(d(2, 'opt', 'symlink'), 'new');
    assert.equal(d(2, 'etc/a'), 'replace', 'a later entry of the same layer replaces');
    assert.throws(() => d(2, 'opt/x'), /refusing opt\/x: opt is a symbolic link in the same layer/);
    s.endLayer();
    assert.equal(s.settled('etc/a'), true);
    assert.equal(s.settled('etc'), false);
    // layer 1
    assert.equal(d(1, 'etc/a'), 'hidden', 'upper layer wins');
    assert.equal(d(1, 'etc', 'directory'), 'dir-meta', 'the header of a directory the upper layers implied');
    assert.equal(d(1, 'etc', 'directory'), 'hidden');
    assert.equal(d(1, 'etc/c'), 'new');
    assert.equal(d(1, 'var/log', 'directory'), 'hidden', 'opaque: lower contents hidden');
    assert.equal(d(1, 'var', 'directory'), 'dir-meta', 'opaque: the directory itself stays (implied by the upper layer)');
    assert.equal(d(1, 'opt/x'), 'hidden', 'below an upper-layer link');
    s.endLayer();
    assert.equal(d(0, 'etc/b'), 'hidden');
    assert.equal(d(0, 'etc/c', 'directory'), 'hidden', 'a file above hides a lower directory');
    assert.equal(d(0, 'etc/c/deep'), 'hidden');
    assert.equal(s.winner('etc/c'), 'file');
    assert.equal(s.linkAbove('opt/bin/x'), 'opt');
    assert.equal(s.linkAbove('etc/c'), undefined);
  });

  it("modeString is Go's FileMode.String()", () => {
    assert.equal(modeString('file', 0o644), '-rw-r--r--');
    assert.equal(modeString('dir', 0o755), 'drwxr-xr-x');
    assert.equal(modeString('symlink', 0o777), 'Lrwxrwxrwx');
    assert.equal(modeString('file', 0o4755), 'urwxr-xr-x');
    assert.equal(modeString('dir', 0o1777), 'dtrwxrwxrwx');
  });
});
