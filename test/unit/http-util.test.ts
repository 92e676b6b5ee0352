/** Units of the HTTP adapter's header parsing (src/server/http-util.ts). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { chunkInfo, parseRange } from '../../src/server/http-util.js';

const req = (headers: Record<string, string>): IncomingMessage => ({ headers }) as unknown as IncomingMessage;

describe('http-util', () => {
  it('chunkInfo reads Content-Range start-end in its three spellings', () => {
    assert.deepEqual(chunkInfo(req({ 'content-range': '0-9' })), { range: { start: 0, end: 9 } });
    assert.deepEqual(chunkInfo(req({ 'content-range': 'bytes 10-19/*', 'content-length': '10' })), { range: { start: 10, end: 19 }, length: 10 });
    assert.deepEqual(chunkInfo(req({ 'content-range': 'bytes=5-5/6' })), { range: { start: 5, end: 5 } });
    assert.throws(() => chunkInfo(req({ 'content-range': '0-' })), { code: 'BLOB_UPLOAD_INVALID', status: 416 });
  });

  it('chunkInfo refuses offsets Number() cannot hold exactly (found by test/fuzz)', () => {
    for (const raw of ['9007199254740993-9007199254740993', '0-99999999999999999999', '10000000000000000-0']) {
      assert.throws(() => chunkInfo(req({ 'content-range': raw })), { code: 'BLOB_UPLOAD_INVALID', status: 416, message: /offsets must be below 2\^53/ }, raw);
    }
    assert.deepEqual(chunkInfo(req({ 'content-range': '9007199254740990-9007199254740991' })).range, { start: 9007199254740990, end: 9007199254740991 });
  });

  it('parseRange: first-last, first-, suffix; undefined without a header', () => {
    assert.equal(parseRange(undefined, 10), undefined);
    assert.deepEqual(parseRange('bytes=2-4', 10), { start: 2, end: 4 });
    assert.deepEqual(parseRange('bytes=2-', 10), { start: 2, end: 9 });
    assert.deepEqual(parseRange('bytes=-3', 10), { start: 7, end: 9 });
    assert.deepEqual(parseRange('bytes=-30', 10), { start: 0, end: 9 });
    assert.throws(() => parseRange('bytes=-0', 10), { code: 'SIZE_INVALID', status: 416 });
    assert.throws(() => parseRange('bytes=0-1,3-4', 10), { code: 'SIZE_INVALID', status: 416 });
  });
});
