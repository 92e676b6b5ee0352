/**
 * fast-check generators for hostile image layers: tar members whose names
 * climb (`..`), are absolute (into the test's sandbox, `@SANDBOX@`), very
 * long, whiteouts or plain; of every type flag; links pointing anywhere;
 * numeric fields that lie or are garbage; names carried in ustar, prefix,
 * PAX or GNU long-name form; archives truncated, corrupted, gzipped or not.
 */
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { END, gnuLongMember, member, paxMember, type Numeric, type RawHeader } from '../fixtures/raw-tar.js';

export const SANDBOX = '@SANDBOX@';

const component = fc.constantFrom('a', 'b', 'c', 'pre', '..', '.', '', 'x'.repeat(120), 'n'.repeat(260), 'sp ace', '.wh.a', '.wh.b', '.wh..wh..opq', 'é', 'usr', 'bin', 'a\\b');

/** Entry names: relative, absolute, into the sandbox, with `..` and `.` anywhere. */
export const entryName = fc
  .tuple(fc.constantFrom('', '', '', '/', './', '//', `${SANDBOX}/victim/`, `${SANDBOX}/`), fc.array(component, { minLength: 1, maxLength: 4 }), fc.constantFrom('', '', '/'))
  .map(([lead, parts, trail]) => lead + parts.join('/') + trail);

export const linkTarget = fc.oneof(
  entryName,
  fc.constantFrom('../victim/keep', '../../victim', `${SANDBOX}/victim`, `${SANDBOX}/victim/keep`, '/', '.', '..', 'a', '../a', 'a/../..', 'a/b/../../..', 'missing', '/etc/passwd', '/a', 'pre/keep', ''),
);

const garbage = fc.oneof(
  fc.constantFrom('zz', '9999', '-1', ' 7 ', '\u0000\u0000').map((s) => ({ raw: Buffer.from(s, 'latin1') })),
  fc.uint8Array({ minLength: 1, maxLength: 12 }).map((b) => ({ raw: Buffer.from(b) })),
  fc.constantFrom([0x80, 0, 0, 0, 0, 0, 0, 1], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfb], [0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [0x81, 1]).map((b) => ({ raw: Buffer.from(b) })),
);
const numeric = (typical: fc.Arbitrary<number>): fc.Arbitrary<Numeric | undefined> => fc.oneof({ weight: 6, arbitrary: typical }, { weight: 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: garbage });

export interface GenEntry {
  readonly name: string;
  readonly type: string;
  readonly linkname: string | undefined;
  readonly data: Buffer;
  /** How the size field relates to the data. */
  readonly size: 'exact' | number | { raw: Buffer };
  readonly mode: Numeric | undefined;
  readonly uid: Numeric | undefined;
  readonly gid: Numeric | undefined;
  readonly mtime: Numeric | undefined;
  readonly form: 'ustar' | 'prefix' | 'pax' | 'gnu';
  readonly magic: 'ustar' | 'gnu' | 'none';
  readonly badChecksum: boolean;
}

const wildEntry: fc.Arbitrary<GenEntry> = fc.record({
  name: entryName,
  type: fc.oneof({ weight: 8, arbitrary: fc.constantFrom('0', '5', '2', '1') }, { weight: 2, arbitrary: fc.constantFrom('\0', '3', '4', '6', '7', 'Z', 'g', 'x', 'L') }),
  linkname: fc.option(linkTarget, { nil: undefined }),
  data: fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
  size: fc.oneof({ weight: 8, arbitrary: fc.constant<'exact'>('exact') }, { weight: 1, arbitrary: fc.integer({ min: -3, max: 600 }) }, { weight: 1, arbitrary: garbage }),
  mode: numeric(fc.constantFrom(0o644, 0o755, 0o600, 0o000, 0o4755, 0o7777, 0o555)),
  uid: numeric(fc.constantFrom(0, 1000, 65534)),
  gid: numeric(fc.constantFrom(0, 1000, 65534)),
  mtime: numeric(fc.constantFrom(0, 1_700_000_000, 8 ** 11 - 1)),
  form: fc.constantFrom('ustar', 'ustar', 'prefix', 'pax', 'gnu'),
  magic: fc.oneof({ weight: 8, arbitrary: fc.constant<'ustar'>('ustar') }, { weight: 1, arbitrary: fc.constantFrom<'gnu' | 'none'>('gnu', 'none') }),
  badChecksum: fc.oneof({ weight: 15, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});

const tidyComponent = fc.oneof({ weight: 40, arbitrary: fc.constantFrom('a', 'b', 'c', 'pre', 'usr', 'bin', 'sp ace', 'é', '.wh.a', '.wh.b', '.wh..wh..opq', '.') }, { weight: 1, arbitrary: fc.constant('..') });

/** A well-formed member with an ordinary name (once in a while a `..`): hostile through its links and its place among the others. */
const tidyEntry: fc.Arbitrary<GenEntry> = fc
  .record({
  name: fc.tuple(fc.constantFrom('', '', './'), fc.array(tidyComponent, { minLength: 1, maxLength: 3 }), fc.constantFrom('', '', '/')).map(([lead, parts, trail]) => lead + parts.join('/') + trail),
  type: fc.oneof({ weight: 12, arbitrary: fc.constantFrom('0', '0', '5', '2', '1') }, { weight: 1, arbitrary: fc.constantFrom('3', '6') }),
  linkname: fc.option(fc.oneof(linkTarget, fc.array(tidyComponent, { minLength: 1, maxLength: 3 }).map((p) => p.join('/'))), { nil: undefined }),
  data: fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
  size: fc.constant<'exact'>('exact'),
  mode: fc.constantFrom(0o644, 0o755, 0o600, 0o000, 0o4755, 0o555),
  uid: fc.constantFrom(0, 1000),
  gid: fc.constantFrom(0, 1000),
  mtime: fc.constantFrom(0, 1_700_000_000),
  form: fc.constantFrom('ustar', 'ustar', 'prefix', 'pax', 'gnu'),
  magic: fc.constant<'ustar'>('ustar'),
  badChecksum: fc.constant(false),
})
  // only regular files carry data (tar-stream reads none for a directory, whatever its size says)
  .map((e) => (e.type === '0' ? e : { ...e, data: Buffer.alloc(0) }));

export interface GenLayer {
  readonly entries: readonly GenEntry[];
  readonly end: 'both' | 'one' | 'none';
  /** Cut the archive after this fraction (per mille) of its bytes; undefined: whole. */
  readonly cut: number | undefined;
  /** Bytes overwritten at these (per mille) offsets. */
  readonly flips: readonly { at: number; byte: number }[];
  readonly gzip: boolean;
}

const wildLayer: fc.Arbitrary<GenLayer> = fc.record({
  entries: fc.array(wildEntry, { minLength: 1, maxLength: 6 }),
  end: fc.constantFrom('both', 'both', 'one', 'none'),
  cut: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 999 }) }),
  flips: fc.oneof({ weight: 6, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(fc.record({ at: fc.integer({ min: 0, max: 999 }), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 3 }) }),
  gzip: fc.boolean(),
});

const tidyLayer: fc.Arbitrary<GenLayer> = fc.record({
  entries: fc.array(tidyEntry, { minLength: 1, maxLength: 8 }),
  end: fc.constant<'both'>('both'),
  cut: fc.constant(undefined),
  flips: fc.constant([]),
  gzip: fc.boolean(),
});

/** Mostly well-formed layers (so that extraction gets far), some wild ones. */
export const genLayer: fc.Arbitrary<GenLayer> = fc.oneof({ weight: 5, arbitrary: tidyLayer }, { weight: 1, arbitrary: wildLayer });

const bytes = (s: string, sandbox: string): Buffer => Buffer.from(s.split(SANDBOX).join(sandbox), 'utf8');

function entryBytes(e: GenEntry, sandbox: string): Buffer {
  const name = bytes(e.name, sandbox);
  const link = e.linkname === undefined ? undefined : bytes(e.linkname, sandbox);
  const size: Numeric = e.size === 'exact' ? e.data.length : typeof e.size === 'number' ? Math.max(0, e.data.length + e.size) : e.size;
  const common = { typeflag: e.type.charCodeAt(0), size, mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime, magic: e.magic, badChecksum: e.badChecksum };
  const pre: Buffer[] = [];
  let h: RawHeader = { ...common, name, ...(link !== undefined ? { linkname: link } : {}) };
  if (e.form === 'prefix' && name.includes(0x2f, 1)) {
    const cut = name.lastIndexOf(0x2f, Math.min(name.length - 1, 154));
    if (cut > 0) h = { ...h, prefix: name.subarray(0, cut), name: name.subarray(cut + 1) };
  } else if (e.form === 'pax') {
    pre.push(paxMember({ path: name, ...(link !== undefined ? { linkpath: link } : {}) }));
    h = { ...h, name: Buffer.from('placeholder'), ...(link !== undefined ? { linkname: Buffer.from('placeholder') } : {}) };
  } else if (e.form === 'gnu') {
    pre.push(gnuLongMember('L', name));
    if (link !== undefined) pre.push(gnuLongMember('K', link));
  }
  return Buffer.concat([...pre, member(h, e.data)]);
}

/** The layer blob: members, end blocks, then cut, flipped and compressed as generated. */
export function layerBytes(l: GenLayer, sandbox: string): Buffer {
  const end = l.end === 'both' ? END : l.end === 'one' ? END.subarray(0, 512) : Buffer.alloc(0);
  const tar = Buffer.concat([...l.entries.map((e) => entryBytes(e, sandbox)), end]);
  for (const f of l.flips) if (tar.length > 0) tar[Math.floor((f.at * tar.length) / 1000)] = f.byte;
  let blob = l.gzip ? gzipSync(tar) : tar;
  if (l.cut !== undefined) blob = blob.subarray(0, Math.floor((l.cut * blob.length) / 1000));
  return blob;
}
