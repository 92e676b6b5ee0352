/** Mapping arguments and files, oc image mirror's rules, and tag expansion. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MappingError, mappingsFromArgs, mappingsFromFile } from '../../src/copy/mappings.js';
import { destinationName } from '../../src/copy/mirror.js';
import { formatImageReference } from '../../src/transports/all.js';

const D = `sha256:${'cd'.repeat(32)}`;
const fmt = (ms: ReturnType<typeof mappingsFromArgs>): string[][] => ms.map((m) => [formatImageReference(m.source), ...m.destinations.map(formatImageReference)]);

describe('mappings', () => {
  it('reads SRC DST [DST...] and SRC=DST pairs from arguments', () => {
    assert.deepEqual(fmt(mappingsFromArgs(['127.0.0.1:5000/a:v1', '127.0.0.1:5001/b', 'oci:/tmp/x'])), [['127.0.0.1:5000/a:v1', '127.0.0.1:5001/b', 'oci:/tmp/x']]);
    assert.deepEqual(fmt(mappingsFromArgs(['r.io/a:v1=r2.io/b', `r.io/c@${D}=file://c`])), [
      ['r.io/a:v1', 'r2.io/b'],
      [`r.io/c@${D}`, 'file://c'],
    ]);
  });

  it('reads both line forms with comments and blank lines, and names file:line in errors', () => {
    const text = ['# a comment', '', `r.io/a:v1 r2.io/a r3.io/a   # trailing`, '  r.io/b:4.12*=r2.io/b  ', `r.io/c@${D}=r2.io/c:pinned`].join('\n');
    const ms = mappingsFromFile('map.txt', text);
    assert.deepEqual(fmt(ms), [
      ['r.io/a:v1', 'r2.io/a', 'r3.io/a'],
      ['r.io/b:4.12*', 'r2.io/b'],
      [`r.io/c@${D}`, 'r2.io/c:pinned'],
    ]);
    assert.deepEqual(ms.map((m) => m.origin), ['map.txt:3', 'map.txt:4', 'map.txt:5']);
  });

  const bad: [string, RegExp][] = [
    ['r.io/a r2.io/a', /m:1: source r\.io\/a needs a tag or a digest/],
    ['r.io/a:v1', /m:1: expected "SRC DST/],
    ['r.io/a:v1=', /m:1: expected SRC=DST/],
    [`r.io/a:v1 r2.io/a@${D}`, /m:1: destination .* may not carry a digest/],
    ['r.io/a:v* r2.io/a:x', /must be a repository without a tag when the source has a tag glob/],
    ['r.io/a:v1 r.io/a:v1', /source and destination are the same/],
    ['r.io/A:v1 r2.io/a', /m:1: source invalid image reference/],
    ['a:v1 r2.io/a', /m:1: source invalid image reference "a:v1": no registry host/],
    ['r.io/a:v1 s3://bucket/x', /unsupported transport/],
  ];
  for (const [line, re] of bad) it(`rejects "${line}"`, () => assert.throws(() => mappingsFromFile('m', line), (e: Error) => e instanceof MappingError && re.test(e.message)));

  it('quotes bad lines and arguments on one line (found by test/fuzz)', () => {
    assert.throws(() => mappingsFromFile('m', 'r.io/a:v1=b\u2028c'), (e: Error) => e.message === 'm:1: expected SRC=DST, got "r.io/a:v1=b\\u2028c"');
    assert.throws(() => mappingsFromArgs(['r.io/a:v1=r2.io/a', 'x\ry']), (e: Error) => e.message === 'argument 2 ("x\\ry"): when one argument is SRC=DST, all must be');
    assert.throws(() => mappingsFromArgs(['oci:a\nb:v1', 'r.io/x']), (e: Error) => e instanceof MappingError && /^argument 1: source invalid image reference "oci:a\\nb:v1": the oci: directory path holds a control character/.test(e.message));
  });

  it('refuses mixing SRC=DST with SRC DST in arguments', () => {
    assert.throws(() => mappingsFromArgs(['r.io/a:v1=r2.io/a', 'r.io/b:v1']), /all must be/);
    assert.throws(() => mappingsFromArgs(['r.io/a:v1']), /expected SRC DST/);
  });

  it('prints destinations as oc does: repository[:tag], oci:PATH[:ref], file://repo[:tag]', () => {
    const [m] = mappingsFromArgs(['r.io/a:v1', 'r2.io/ns/a:x', 'oci:/tmp/l', 'file://openshift/release']);
    const [reg, oci, file] = m!.destinations;
    assert.equal(destinationName(reg!, 'v1'), 'r2.io/ns/a:v1');
    assert.equal(destinationName(reg!, undefined), 'r2.io/ns/a');
    assert.equal(destinationName(oci!, 'v1'), 'oci:/tmp/l:v1');
    assert.equal(destinationName(file!, '4.12.0'), 'file://openshift/release:4.12.0');
  });
});
