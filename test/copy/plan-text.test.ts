/**
 * The dry-run plan built from engine events: oc's layout (registry/,
 * repository, blobs by size, manifests, per-registry stats with ratio),
 * file:// destinations under the --dir header, and what oc does not say
 * (mounts, blobs already present, digests changed by filtering).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Digest } from '../../src/oci/digest.js';
import type { CopyEvent } from '../../src/copy/events.js';
import { MirrorReport } from '../../src/copy/mirror-report.js';

const d = (c: string): Digest => `sha256:${c.repeat(64)}` as Digest;
const blob = (dst: string, digest: Digest, size: number, action: 'uploaded' | 'mounted' | 'exists' | 'deduped', from?: string): CopyEvent => ({
  type: 'blob',
  src: 'quay.io/ocp/art',
  dst,
  digest,
  size,
  action,
  from,
});

describe('dry-run plan', () => {
  it("has oc's shape: registries and repositories sorted, blobs by size, manifests, stats per registry", () => {
    const r = new MirrorReport({ fileDir: '/data/mirror/' });
    const events: CopyEvent[] = [
      blob('reg.example:5000/ocp/b', d('1'), 32_315_000, 'uploaded'),
      blob('reg.example:5000/ocp/b', d('2'), 1409, 'uploaded'),
      blob('reg.example:5000/ocp/a', d('1'), 32_315_000, 'mounted', 'ocp/b'),
      blob('reg.example:5000/ocp/a', d('3'), 500, 'exists'),
      blob('reg.example:5000/ocp/a', d('4'), 2048, 'deduped'),
      { type: 'manifest', dst: 'reg.example:5000/ocp/b', digest: d('5'), child: true },
      { type: 'manifest', dst: 'reg.example:5000/ocp/b', digest: d('6'), tag: '4.12.0-x86_64', child: false, rewrittenFrom: d('7') },
      { type: 'manifest', dst: 'reg.example:5000/ocp/a', digest: d('8'), tag: 'v1', child: false },
      blob('file://openshift/release', d('2'), 1409, 'uploaded'),
      { type: 'manifest', dst: 'file://openshift/release', digest: d('8'), tag: 'v1', child: false },
      blob('oci:/tmp/layout', d('2'), 1409, 'exists'),
    ];
    for (const e of events) r.sink(e);
    assert.equal(
      r.planText().split('\n\n')[0],
      [
        '/data/mirror/',
        '  openshift/release',
        '    blobs:',
        `      quay.io/ocp/art ${d('2')} 1.376KiB`,
        '    manifests:',
        `      ${d('8')} -> v1`,
        '  stats: shared=0 unique=1 size=1.376KiB ratio=1.00',
        'oci:/tmp/layout/',
        '  .',
        '    blobs:',
        `      quay.io/ocp/art ${d('2')} 1.376KiB (exists)`,
        '    manifests:',
        '  stats: shared=0 unique=0 size=0B',
        'reg.example:5000/',
        '  ocp/a',
        '    blobs:',
        `      quay.io/ocp/art ${d('3')} 500B (exists)`,
        `      quay.io/ocp/art ${d('1')} 30.82MiB (mount from ocp/b)`,
        '    manifests:',
        `      ${d('8')} -> v1`,
        '  ocp/b',
        '    blobs:',
        `      quay.io/ocp/art ${d('2')} 1.376KiB`,
        `      quay.io/ocp/art ${d('1')} 30.82MiB`,
        '    manifests:',
        `      ${d('5')}`,
        `      ${d('6')} -> 4.12.0-x86_64 (filtered by --filter-by-os: source ${d('7')}, new digest)`,
        '  stats: shared=1 unique=1 size=30.82MiB ratio=0.00',
      ].join('\n'),
    );
    assert.match(r.planText(), /\n\ntotal: 0 images \(0 already complete\), 3 blobs to transfer \(30\.82MiB\), 1 to mount, 2 already present, 1 shared within the run$/);
  });

  it('progress: totals grow as images resolve, failed attempts are taken back, only bytes sent count', () => {
    const r = new MirrorReport();
    r.sink({ type: 'planned', images: 3 });
    r.sink({ type: 'resolved', src: 's/a', digest: d('a'), blobs: 2, bytes: 1000, targets: 2, attachment: false });
    assert.deepEqual(r.progress(), { bytesDone: 0, bytesTotal: 2000, totalKnown: false, bytesMoved: 0, imagesDone: 0, imagesTotal: 3, retries: 0 });
    r.sink({ type: 'bytes', n: 400 });
    r.sink({ type: 'bytes', n: -400 });
    r.sink({ type: 'retry', what: 'copy blob', attempt: 1, delayMs: 10, error: 'reset' });
    r.sink({ type: 'bytes', n: 600 });
    r.sink(blob('r/x', d('1'), 600, 'uploaded'));
    r.sink(blob('r/x', d('2'), 400, 'exists'));
    r.sink({ type: 'image', src: 's/a', dst: 'r/x', digest: d('a'), skipped: false, bytesUnvisited: 0, attachment: false });
    r.sink({ type: 'image', src: 's/a', dst: 'r/y', digest: d('a'), skipped: true, bytesUnvisited: 1000, attachment: false });
    r.sink({ type: 'resolved', src: 's/a', digest: d('s'), blobs: 1, bytes: 10, targets: 2, attachment: true });
    // 2020 resolved, less 400 already present and 1000 in the complete image: 620 to send, 600 sent
    assert.deepEqual(r.progress(), { bytesDone: 600, bytesTotal: 620, totalKnown: false, bytesMoved: 600, imagesDone: 2, imagesTotal: 3, retries: 1 });
    r.sink({ type: 'failed', source: 's/b:v1', message: 'not found', targets: 1, missing: true });
    assert.equal(r.progress().totalKnown, true, 'every image resolved or failed');
  });

  it('progress at the end shows what the summary says was transferred, not mounted or present bytes', () => {
    const r = new MirrorReport();
    r.sink({ type: 'planned', images: 1 });
    r.sink({ type: 'resolved', src: 's/a', digest: d('a'), blobs: 3, bytes: 30 * 1024 * 1024, targets: 1, attachment: false });
    r.sink(blob('r/x', d('1'), 25 * 1024 * 1024, 'mounted'));
    r.sink(blob('r/x', d('2'), 3 * 1024 * 1024, 'exists'));
    r.sink({ type: 'bytes', n: 2 * 1024 * 1024 });
    r.sink(blob('r/x', d('3'), 2 * 1024 * 1024, 'uploaded'));
    r.sink({ type: 'image', src: 's/a', dst: 'r/x', digest: d('a'), skipped: false, bytesUnvisited: 0, attachment: false });
    const p = r.progress();
    assert.deepEqual([p.bytesDone, p.bytesTotal], [2 * 1024 * 1024, 2 * 1024 * 1024]);
    assert.equal(p.bytesDone, r.stats.bytesTransferred);
    assert.match(r.summary(1000), /1 transferred \(2(\.0+)?MiB\), 1 mounted, 1 already present/);
  });
});
