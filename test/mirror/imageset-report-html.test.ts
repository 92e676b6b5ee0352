/**
 * report.html of a real mirror-to-mirror run on loopback (two airlock
 * registries): the file is written next to report.json, parses as HTML well
 * enough to find each section (balanced elements, one <section id> per
 * part), carries the same figures as report.json, and shows hostile strings
 * (a blockedImages pattern and a config file name with <script>) only
 * escaped. The run also enforces the cache limit (--cache-max-size) on a real
 * cache directory, least recently used entries first.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { escapeHtml } from '../../src/mirror/imageset/report-html.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { buildImageSet, pushImageSet } from '../fixtures/catalog/related-images.js';
import { airlock } from '../release/support.js';

const VOID = new Set(['meta', 'br', 'link', 'img', 'hr', 'input']);

/** The element names in document order; fails on an unbalanced or misnested element. */
function checkBalanced(html: string): string[] {
  const stack: string[] = [];
  const seen: string[] = [];
  const body = html.replace(/^<!DOCTYPE html>\n/, '').replace(/<style>[^<]*<\/style>/, '<style></style>');
  for (const m of body.matchAll(/<(\/?)([a-z][a-z0-9]*)\b[^<>]*>/g)) {
    const [, close, name] = m as unknown as [string, string, string];
    if (close === '') {
      seen.push(name);
      if (!VOID.has(name)) stack.push(name);
      continue;
    }
    assert.equal(stack.pop(), name, `</${name}> closes the element open at that point`);
  }
  assert.deepEqual(stack, [], 'every element is closed');
  return seen;
}

describe('report.html of an image-set run, and the cache limit after the run', () => {
  let work: string;
  let up: AirlockHandle;
  let mirror: AirlockHandle;
  let isc: string;
  let cacheDir: string;
  const hostile = '<script>alert(1)</script>';

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-report-html-'));
    [up, mirror] = await Promise.all([startAirlock(), startAirlock()]);
    const hub = new RegistryHub({ insecure: () => true });
    try {
      await pushImageSet(hub.destination({ registry: up.hostPort, repository: 'extra/app' }), await buildImageSet('report app', false), 'v1');
      await pushImageSet(hub.destination({ registry: up.hostPort, repository: 'extra/app-copy' }), await buildImageSet('report app', false), 'v1');
      await pushImageSet(hub.destination({ registry: up.hostPort, repository: 'extra/blocked' }), await buildImageSet('report blocked', false), 'v1');
    } finally {
      await hub.close();
    }
    isc = join(work, `isc-${hostile.replace(/\//g, '_')}.yaml`);
    await writeFile(isc, `kind: ImageSetConfiguration
apiVersion: mirror.openshift.io/v2alpha1
mirror:
  additionalImages:
  - name: ${up.hostPort}/extra/app:v1
  - name: ${up.hostPort}/extra/app-copy:v1
  - name: ${up.hostPort}/extra/never-pushed:v1
  - name: ${up.hostPort}/extra/blocked:v1
  blockedImages:
  - name: "${hostile}|/extra/blocked"
`);
    // A real cache directory: two old entries of 2000 bytes; the older one must go at a 3000-byte limit.
    cacheDir = join(work, 'cache');
    const graphDir = join(cacheDir, '.oc-mirror/.cache/airlock/graph');
    await mkdir(graphDir, { recursive: true });
    await writeFile(join(graphDir, 'old.json'), Buffer.alloc(2000, 1));
    await writeFile(join(graphDir, 'newer.json'), Buffer.alloc(2000, 2));
    await utimes(join(graphDir, 'old.json'), new Date(Date.now() - 7200_000), new Date(Date.now() - 7200_000));
    await utimes(join(graphDir, 'newer.json'), new Date(Date.now() - 3600_000), new Date(Date.now() - 3600_000));
    // oc-mirror's own files next to airlock's part are never counted or removed.
    await writeFile(join(cacheDir, '.oc-mirror/.cache/oc-mirror-file'), Buffer.alloc(10_000));
  });
  after(async () => {
    await Promise.all([up?.close(), mirror?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('writes a self-contained, escaped report.html with every section, matching report.json', async () => {
    const ws = join(work, 'ws');
    const r = await airlock(['mirror', '-c', isc, '--workspace', `file://${ws}`, `docker://${mirror.hostPort}/m`, '--dest-tls-verify=false', '--src-tls-verify=false', '--no-progress',
      '--cache-dir', cacheDir, '--cache-max-size', '3000'], work);
    assert.equal(r.code, 8, r.stderr); // an additional image is missing
    const html = await readFile(join(ws, 'working-dir/report.html'), 'utf8');
    const report = JSON.parse(await readFile(join(ws, 'working-dir/report.json'), 'utf8')) as {
      mirrored: { additional: { images: unknown[]; transferred: number; saved: number } };
      totals: { bytesTransferred: number; bytesSaved: number };
    };
    assert.ok(html.startsWith('<!DOCTYPE html>\n<html lang="en">'));
    const names = checkBalanced(html);
    assert.ok(!names.includes('script'), 'no script element');
    assert.doesNotMatch(html, /<script|<link|\bsrc=|\bhref=|url\(/i, 'no script and no external asset');
    const sections = [...html.matchAll(/<section id="([a-z]+)">/g)].map((m) => m[1]);
    assert.deepEqual(sections, ['summary', 'releases', 'catalogs', 'mirrored', 'missing', 'blocked', 'failed', 'timings']);
    const part = (id: string): string => html.slice(html.indexOf(`<section id="${id}">`), html.indexOf('</section>', html.indexOf(`<section id="${id}">`)));
    // hostile strings appear escaped only
    assert.ok(part('blocked').includes(`<code>${up.hostPort}/extra/blocked:v1</code>`));
    assert.ok(part('blocked').includes(escapeHtml(`matches blockedImages "${hostile}|/extra/blocked"`)), part('blocked'));
    assert.ok(part('summary').includes(escapeHtml(isc)));
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    // missing, with why; mirrored by origin with the bytes of report.json
    assert.ok(part('missing').includes(`<code>${up.hostPort}/extra/never-pushed:v1</code></td><td>additional</td><td>the source image does not exist</td>`), part('missing'));
    const add = report.mirrored.additional;
    assert.equal(add.images.length, 2);
    assert.ok(add.transferred > 0 && add.saved > 0, 'the second copy of the same blobs is saved by deduplication');
    assert.ok(part('mirrored').includes(`<td>additional</td><td>2</td><td>`));
    assert.ok(part('mirrored').includes(`(${add.transferred} bytes)`) && part('mirrored').includes(`(${add.saved} bytes)`));
    assert.ok(part('summary').includes(`(${report.totals.bytesSaved} bytes)`));
    assert.match(part('timings'), /<td>total<\/td><td>\d+\.\d{3}<\/td>/);
    assert.match(part('failed'), /None\./);

    // the cache limit was enforced after the run: the least recently used entry went, oc-mirror's file stayed
    assert.deepEqual((await readdir(join(cacheDir, '.oc-mirror/.cache/airlock/graph'))).sort(), ['newer.json']);
    assert.deepEqual((await readdir(join(cacheDir, '.oc-mirror/.cache'))).sort(), ['airlock', 'oc-mirror-file']);
    assert.match(r.stderr, /info: cache .* over its limit \(3\.906KiB > 2\.930KiB\): removed 1 least recently used entries/);
  });

  it('escapeHtml turns every markup character into text', () => {
    assert.equal(escapeHtml(`<a href="x" onclick='y'>&amp;</a>`), '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  });
});
