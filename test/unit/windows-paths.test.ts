/**
 * Windows paths, checked with path.win32 semantics on any host: drive
 * letters and backslashes in `oci:` layout paths and in the --dir/--from-dir
 * root of a file:// store; file:// references name repositories, never
 * paths, so they carry no drive letter or separator of their own.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { formatImageReference, parseImageReference } from '../../src/transports/all.js';
import { repositoryDir } from '../../src/transports/file-store/file-store.js';

const D = `sha256:${'a'.repeat(64)}`;

describe('Windows paths', () => {
  it('oci: keeps a drive letter and backslashes in the layout path, then splits at the next colon', () => {
    const cases: [string, { path: string; refName?: string; digest?: string }][] = [
      ['oci:C:\\layouts\\release', { path: 'C:\\layouts\\release' }],
      ['oci:C:\\layouts\\release:4.12.0-x86_64', { path: 'C:\\layouts\\release', refName: '4.12.0-x86_64' }],
      ['oci:d:/media/layout:big-v1', { path: 'd:/media/layout', refName: 'big-v1' }],
      [`oci:E:\\l:@${D}`, { path: 'E:\\l', digest: D }],
      ['oci:layouts\\rel:v1', { path: 'layouts\\rel', refName: 'v1' }],
    ];
    for (const [input, want] of cases) {
      const r = parseImageReference(input);
      assert.equal(r.transport, 'oci', input);
      if (r.transport !== 'oci') continue;
      assert.deepEqual({ path: r.path, refName: r.refName, digest: r.digest }, { path: want.path, refName: want.refName, digest: want.digest }, input);
      assert.equal(formatImageReference(r), input, 'formats back to what was typed');
      assert.ok(path.win32.isAbsolute(r.path) === /^[A-Za-z]:/.test(input.slice(4)), `${input}: absolute on Windows iff it has a drive`);
    }
  });

  it('oci: without a drive still ends the path at the first colon (a one-letter directory works)', () => {
    const r = parseImageReference('oci:c:v1');
    assert.deepEqual(r.transport === 'oci' && [r.path, r.refName], ['c', 'v1']);
    const bare = parseImageReference('oci:C:');
    assert.deepEqual(bare.transport === 'oci' && [bare.path, bare.refName], ['C', undefined], 'no separator after the colon: not a drive');
  });

  it('a file:// store root with a drive letter, backslashes or forward slashes gives v2\\<repo> under it', () => {
    const w = path.win32;
    assert.equal(repositoryDir('C:\\media\\mirror', 'openshift/release', w), 'C:\\media\\mirror\\v2\\openshift\\release');
    assert.equal(repositoryDir('D:/media/mirror/', 'ocp4/openshift4', w), 'D:\\media\\mirror\\v2\\ocp4\\openshift4');
    assert.equal(repositoryDir('\\\\nas\\share\\mirror', 'a/b/c', w), '\\\\nas\\share\\mirror\\v2\\a\\b\\c');
    assert.equal(repositoryDir('/media/mirror', 'openshift/release', path.posix), '/media/mirror/v2/openshift/release');
  });

  it('file:// references are repository names: a drive letter or backslash there is refused in one line', () => {
    const r = parseImageReference('file://openshift/release:4.12.0-x86_64');
    assert.ok(r.transport === 'file' && r.name.repository === 'openshift/release');
    for (const bad of ['file://C:\\media\\openshift\\release:4.12.0', 'file://openshift\\release:4.12.0']) {
      assert.throws(() => parseImageReference(bad), (e: Error) => !e.message.includes('\n') && e.message.length > 0, bad);
    }
  });
});
