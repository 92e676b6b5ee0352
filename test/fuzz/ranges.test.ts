/**
 * Properties of the registry's Range (blob GET) and Content-Range (upload
 * PATCH) handling, src/server/http-util.ts with the checks of the registry
 * service behind it:
 *
 * - parsing never throws anything but a RegistryError (416 with
 *   `Content-Range: bytes *\/SIZE` for Range, BLOB_UPLOAD_INVALID for
 *   Content-Range);
 * - what is served is what RFC 9110 §14 says for a single byte range (a
 *   syntactically valid satisfiable range is served exactly, an unsatisfiable
 *   one answers 416; other headers may be ignored or refused), checked both
 *   on the parser and on a real airlock over HTTP;
 * - Content-Range values format and parse back; an upload fed chunks with
 *   right and wrong Content-Ranges keeps exactly the accepted bytes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { digestOf } from '../../src/oci/digest.js';
import { RegistryError } from '../../src/registry/errors.js';
import { chunkInfo, parseRange } from '../../src/server/http-util.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { checkProperty } from './fuzz-config.js';
import { assertOciError, headerOf, pushBlob, send } from './registry-http.js';

type Expect = { kind: 'serve'; start: number; end: number } | { kind: 'unsatisfiable' } | { kind: 'any' };

/** RFC 9110 §14.1.2 / §14.2 for one `bytes=` range; 'any' where a server may ignore or refuse the header. */
function expected(raw: string, size: number): Expect {
  const m = /^bytes=(\d*)-(\d*)$/.exec(raw.trim());
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'any' };
  const S = BigInt(size);
  if (m[1] === '') {
    const n = BigInt(m[2]!);
    if (n === 0n || S === 0n) return { kind: 'unsatisfiable' };
    return { kind: 'serve', start: Number(n >= S ? 0n : S - n), end: size - 1 };
  }
  const first = BigInt(m[1]!);
  if (m[2] !== '' && BigInt(m[2]!) < first) return { kind: 'any' };
  if (first >= S) return { kind: 'unsatisfiable' };
  const last = m[2] === '' || BigInt(m[2]!) >= S ? S - 1n : BigInt(m[2]!);
  return { kind: 'serve', start: Number(first), end: Number(last) };
}

const SIZES = [0, 1, 2, 10, 1000];

/** Positions around the interesting places of a blob of `size` bytes, as written in a header. */
const position = (size: number): fc.Arbitrary<string> =>
  fc.oneof(
    fc.integer({ min: 0, max: size + 2 }).map(String),
    fc.constantFrom('', '0', '00', '0001', String(Number.MAX_SAFE_INTEGER), '9007199254740993', '99999999999999999999999999'),
    fc.nat().map(String),
  );

/** Range header values: mostly `bytes=A-B` near the blob's bounds, with wrong units, spaces, lists and junk. */
const rangeHeader = (size: number): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.tuple(position(size), position(size)).map(([a, b]) => `bytes=${a}-${b}`) },
    {
      weight: 3,
      arbitrary: fc
        .record({
          unit: fc.constantFrom('bytes', 'Bytes', 'BYTES', 'items', ''),
          eq: fc.constantFrom('=', ' =', '= ', '', ':'),
          a: position(size),
          b: position(size),
          more: fc.constantFrom('', ',0-1', ', 3-', ',', '-'),
          pad: fc.constantFrom('', ' ', '\t'),
        })
        .map((r) => `${r.pad}${r.unit}${r.eq}${r.a}-${r.b}${r.more}${r.pad}`),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 16 }) },
  );

const headerSafe = (s: string): boolean => /^[\x20-\x7e\t]*$/.test(s);

function assertRangeRefusal(e: unknown, size: number): void {
  assert.ok(e instanceof RegistryError, `expected a RegistryError, got ${String(e)}`);
  assert.equal(e.code, 'SIZE_INVALID');
  assert.equal(e.status, 416);
  assert.deepEqual(e.headers, { 'Content-Range': `bytes */${size}` });
}

/** parseRange followed by the registry service's bounds check, as a GET goes through them. */
function served(raw: string, size: number): { start: number; end: number } | undefined | 'refused' {
  let r;
  try {
    r = parseRange(raw, size);
  } catch (e) {
    assertRangeRefusal(e, size);
    return 'refused';
  }
  if (r === undefined) return undefined;
  assert.ok(Number.isInteger(r.start) && Number.isInteger(r.end), JSON.stringify(r));
  return r.start > r.end || r.end >= size || r.start < 0 ? 'refused' : r;
}

const sizedRange = fc.constantFrom(...SIZES).chain((size) => fc.tuple(fc.constant(size), rangeHeader(size)));

describe('fuzz: Range on blob GET', () => {
  it('the parser serves exactly the satisfiable range, refuses the unsatisfiable, throws nothing else', async () => {
    await checkProperty(
      'parseRange',
      fc.property(sizedRange, ([size, raw]) => {
        const got = served(raw, size);
        const want = expected(raw, size);
        if (want.kind === 'serve') assert.deepEqual(got, { start: want.start, end: want.end }, `${raw} of ${size} bytes`);
        else if (want.kind === 'unsatisfiable') assert.equal(got, 'refused', `${raw} of ${size} bytes`);
        else if (got !== undefined && got !== 'refused') assert.ok(got.start >= 0 && got.start <= got.end && got.end < size);
      }),
      { runs: 5000, ms: 2000 },
    );
  });

  describe('on a real registry', () => {
    let reg: AirlockHandle;
    const blobs: { size: number; data: Buffer; digest: string }[] = [];

    before(async () => {
      reg = await startAirlock();
      for (const size of SIZES) {
        const data = Buffer.from(Array.from({ length: size }, (_, i) => (i * 7 + 3) & 0xff));
        blobs.push({ size, data, digest: await pushBlob(reg.url, 'fuzz/ranges', data) });
      }
    });
    after(async () => {
      await reg?.close();
    });

    it('GET with any Range: 206 with exactly the bytes asked for, 200 with all, or 416 with bytes */SIZE', async () => {
      const input = fc.nat(SIZES.length - 1).chain((i) => fc.tuple(fc.constant(i), rangeHeader(SIZES[i]!).filter(headerSafe)));
      await checkProperty(
        'GET Range',
        fc.asyncProperty(input, async ([i, raw]) => {
          const b = blobs[i]!;
          const a = await send(reg.url, 'GET', `/v2/fuzz/ranges/blobs/${b.digest}`, { range: raw });
          const want = expected(raw, b.size);
          const what = `GET Range ${JSON.stringify(raw)} of ${b.size} bytes`;
          if (a.status === 206) {
            const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(headerOf(a, 'content-range') ?? '');
            assert.ok(m, `${what}: Content-Range ${headerOf(a, 'content-range')}`);
            const [start, end, total] = [Number(m[1]), Number(m[2]), Number(m[3])];
            assert.ok(start <= end && end < b.size && total === b.size, `${what}: within bounds`);
            assert.deepEqual(a.body, b.data.subarray(start, end + 1), `${what}: the bytes of the range`);
            assert.equal(headerOf(a, 'content-length'), String(end - start + 1));
            if (want.kind !== 'any') assert.deepEqual({ kind: 'serve', start, end }, want, what);
          } else if (a.status === 200) {
            assert.deepEqual(a.body, b.data, `${what}: the whole blob`);
            assert.equal(want.kind, 'any', `${what}: answered 200, expected ${JSON.stringify(want)}`);
          } else {
            assert.equal(a.status, 416, `${what}: status`);
            assertOciError(a, what, ['SIZE_INVALID']);
            assert.equal(headerOf(a, 'content-range'), `bytes */${b.size}`, what);
            assert.notEqual(want.kind, 'serve', `${what}: refused a satisfiable range`);
          }
        }),
        { runs: 1000, ms: 4000 },
      );
    });

    it('an upload fed right and wrong Content-Ranges keeps exactly the accepted chunks', async () => {
      const chunk = fc.record({
        len: fc.integer({ min: 0, max: 40 }),
        range: fc.oneof(
          { weight: 4, arbitrary: fc.constant<'right'>('right') },
          { weight: 1, arbitrary: fc.constant<'none'>('none') },
          { weight: 2, arbitrary: fc.tuple(fc.integer({ min: -3, max: 3 }), fc.integer({ min: -3, max: 3 })).map(([ds, de]) => ({ ds, de })) },
          { weight: 1, arbitrary: fc.constantFrom('', 'bytes */5', '5', '-5', 'a-b', '0-', ' 0 - 1', '0-1-2', '99999999999999999999-99999999999999999999') },
        ),
        style: fc.constantFrom('plain', 'bytes ', 'bytes=', 'total', 'star'),
      });
      await checkProperty(
        'PATCH Content-Range',
        fc.asyncProperty(fc.array(chunk, { minLength: 1, maxLength: 6 }), async (chunks) => {
          const start = await send(reg.url, 'POST', '/v2/fuzz/uploads/blobs/uploads/');
          assert.equal(start.status, 202);
          const loc = headerOf(start, 'location')!;
          let kept = Buffer.alloc(0);
          for (const [n, c] of chunks.entries()) {
            const data = Buffer.alloc(c.len, n + 1);
            const cur = kept.length;
            let cr: string | undefined;
            let ok: boolean;
            if (c.range === 'none') {
              cr = undefined;
              ok = true;
            } else if (typeof c.range === 'string' && c.range !== 'right') {
              cr = c.range;
              ok = false;
            } else {
              const off = c.range === 'right' ? { ds: 0, de: 0 } : c.range;
              const s = Math.max(0, cur + off.ds);
              const e = s + c.len - 1 + off.de;
              const body = `${s}-${e}`;
              cr = c.style === 'plain' ? body : c.style === 'total' ? `bytes ${body}/${cur + c.len}` : c.style === 'star' ? `bytes ${body}/*` : `${c.style}${body}`;
              ok = s === cur && e === s + c.len - 1 && e >= s;
            }
            const a = await send(reg.url, 'PATCH', loc, { 'content-type': 'application/octet-stream', ...(cr !== undefined ? { 'content-range': cr } : {}) }, data);
            const what = `PATCH ${c.len} bytes at ${cur} with Content-Range ${JSON.stringify(cr)}`;
            if (ok) {
              assert.equal(a.status, 202, `${what}: ${a.body.toString()}`);
              kept = Buffer.concat([kept, data]);
              assert.equal(headerOf(a, 'range'), `0-${Math.max(0, kept.length - 1)}`, what);
            } else {
              assertOciError(a, what, ['BLOB_UPLOAD_INVALID', 'SIZE_INVALID']);
              const status = await send(reg.url, 'GET', loc);
              assert.equal(status.status, 204, `${what}: the session survives`);
              assert.equal(headerOf(status, 'range'), `0-${Math.max(0, kept.length - 1)}`, `${what}: nothing was appended`);
            }
          }
          const d = digestOf(kept);
          const done = await send(reg.url, 'PUT', `${loc}?digest=${d}`, { 'content-length': '0' });
          assert.equal(done.status, 201, done.body.toString());
          const got = await send(reg.url, 'GET', `/v2/fuzz/uploads/blobs/${d}`);
          assert.deepEqual(got.body, kept);
        }),
        { runs: 120, ms: 4000 },
      );
    });
  });
});

const fakeRequest = (headers: Record<string, string>): IncomingMessage => ({ headers }) as unknown as IncomingMessage;

describe('fuzz: Content-Range on upload chunks', () => {
  it('formatted ranges parse back; anything else is BLOB_UPLOAD_INVALID (416); accepted numbers are exact', async () => {
    const formatted = fc
      .tuple(fc.nat({ max: 2 ** 40 }), fc.nat({ max: 2 ** 40 }), fc.constantFrom('', 'bytes ', 'bytes='), fc.constantFrom('', '/*', '/123'))
      .map(([s, e, pre, post]) => ({ raw: `${pre}${s}-${e}${post}`, want: { start: s, end: e } as { start: number; end: number } | undefined }));
    const digits = fc.oneof(fc.stringMatching(/^[0-9]{0,4}$/), fc.stringMatching(/^[0-9]{15,25}$/));
    const other = fc
      .oneof(fc.string({ maxLength: 24 }), fc.tuple(fc.constantFrom('', 'bytes ', 'bytes=', 'bytes  ', 'Bytes '), digits, digits, fc.constantFrom('', '/*', '/', '/1', '/x')).map((p) => `${p[0]}${p[1]}-${p[2]}${p[3]}`))
      .map((raw) => ({ raw, want: undefined }));
    await checkProperty(
      'chunkInfo',
      fc.property(fc.oneof(formatted, other), ({ raw, want }) => {
        let info;
        try {
          info = chunkInfo(fakeRequest({ 'content-range': raw }));
        } catch (e) {
          assert.ok(e instanceof RegistryError && e.code === 'BLOB_UPLOAD_INVALID' && e.status === 416, `${JSON.stringify(raw)}: ${String(e)}`);
          assert.ok(want === undefined, `refused a formatted range ${raw}`);
          assert.ok(!/[\r\n]/.test(e.message) && e.message.length < 200, e.message);
          return;
        }
        assert.ok(info.range, raw);
        assert.ok(Number.isSafeInteger(info.range.start) && Number.isSafeInteger(info.range.end), `exact numbers: ${raw} → ${JSON.stringify(info.range)}`);
        assert.equal(`${info.range.start}-${info.range.end}`, /(\d+)-(\d+)/.exec(raw)!.slice(1).map((d) => String(BigInt(d))).join('-'));
        if (want) assert.deepEqual(info.range, want);
      }),
      { runs: 5000, ms: 2000 },
    );
  });
});
