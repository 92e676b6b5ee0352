/**
 * Reads a layer blob as a tar stream, verified against its digest while it
 * flows (the whole blob is always read, so a wrong blob fails even when the
 * wanted file came early). Compression is recognised from the first bytes
 * (gzip or plain tar; zstd is refused), not trusted from the media type.
 * Entry names are normalized and refused when they are absolute or climb out
 * with `..`; links are reported, never followed (link-target.ts decides
 * what a symbolic link becomes).
 */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Header } from 'tar-stream';
import type { BlobInfo, ImageSource } from '../transports/types.js';
import { verified } from '../transports/verify-stream.js';
import { quoted } from '../util/quoted.js';

export class UnsafeTarEntryError extends Error {
  readonly code = 'ERR_UNSAFE_TAR_ENTRY';
}

/** tar-stream's entry types; null for a type flag it does not know. */
export type EntryType = Header['type'] | null;

export interface LayerEntry {
  /** Normalized path (no leading `./` or `/`, no `.` components); '' for the root itself. */
  readonly path: string;
  readonly type: EntryType;
  readonly size: number;
  /** Permission bits from the header (0o7777 at most). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly linkname?: string;
  readonly mtime?: Date;
}

/** Longest file name (one path component) Linux file systems take, in bytes. */
const NAME_MAX = 255;

/** Normalizes a tar entry name; throws for absolute names, `..` components, NUL bytes and components too long for a file system. */
export function safeEntryPath(name: string): string {
  if (name.startsWith('/')) throw new UnsafeTarEntryError(`refusing tar entry with an absolute path: ${name}`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new UnsafeTarEntryError(`refusing tar entry that climbs out with "..": ${name}`);
  if (parts.some((p) => p.includes('\0'))) throw new UnsafeTarEntryError(`refusing tar entry with a NUL byte: ${JSON.stringify(name)}`);
  const long = parts.find((p) => Buffer.byteLength(p) > NAME_MAX);
  if (long !== undefined) throw new UnsafeTarEntryError(`refusing tar entry with a name component longer than ${NAME_MAX} bytes (no file system takes it): ${quoted(name, 120)}`);
  return parts.join('/');
}

/** Largest uid or gid (2^32 - 2: 2^32 - 1 means "unchanged" to chown). */
const MAX_ID = 0xfffffffe;

/**
 * A numeric header field as tar-stream decoded it: octal, or base-256 (which
 * can be negative, or null for a malformed one). Anything but an integer in
 * [0, max] is a corrupt header: a null size would even stall tar-stream,
 * which then waits for data that never comes.
 */
function headerNumber(v: number | null | undefined, field: string, path: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) {
    throw new UnsafeTarEntryError(`refusing tar entry ${quoted(path, 120)}: its ${field} field is not a valid number (${String(v)})`);
  }
  return v;
}

export type EntryVisitor = (entry: LayerEntry, body: Readable) => Promise<void> | void;

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** Resolves at the stream's next 'readable' or 'end', rejects on 'error' (no listener left behind). */
function readableOrEnd(s: Readable): Promise<void> {
  if (s.errored) return Promise.reject(s.errored);
  return new Promise((resolve, reject) => {
    const off = (): void => {
      s.off('readable', ok);
      s.off('end', ok);
      s.off('error', fail);
    };
    const ok = (): void => {
      off();
      resolve();
    };
    const fail = (e: Error): void => {
      off();
      reject(e);
    };
    s.on('readable', ok);
    s.on('end', ok);
    s.on('error', fail);
  });
}

/** The first bytes of `s` (at least `n` unless the stream is shorter), left unread. */
async function peek(s: Readable, n: number): Promise<Buffer> {
  let got: Buffer = Buffer.alloc(0);
  for (;;) {
    const c = s.read() as Buffer | null;
    if (c !== null) got = Buffer.concat([got, c]);
    if (got.length >= n || s.readableEnded) break;
    if (c === null) await readableOrEnd(s);
  }
  if (got.length > 0) s.unshift(got);
  return got;
}

const startsWith = (b: Buffer, magic: readonly number[]): boolean => b.length >= magic.length && magic.every((m, i) => b[i] === m);

/**
 * Streams `layer` from `src` and calls `visit` for each entry, in archive
 * order; the visitor must consume `body` or leave it (it is drained
 * afterwards). Resolves after the whole blob was read and its digest checked;
 * rejects (UnsafeTarEntryError, DigestMismatchError, a tar or gzip error) otherwise.
 */
export async function walkLayer(src: ImageSource, layer: BlobInfo, visit: EntryVisitor, signal?: AbortSignal): Promise<void> {
  // Loaded here, not at start-up: every `airlock image` command imports this module (30 ms of tar-stream and streamx).
  const { extract: tarExtract } = await import('tar-stream');
  const body = verified(await src.getBlob(layer, { signal }), layer);
  let head: Buffer;
  try {
    head = await peek(body, 4);
  } catch (e) {
    body.destroy();
    throw e;
  }
  if (startsWith(head, ZSTD_MAGIC) || (layer.mediaType ?? '').includes('zstd')) {
    body.destroy();
    throw new Error(`layer ${layer.digest}: zstd-compressed layers are not supported (${layer.mediaType ?? 'zstd data'})`);
  }
  const extract = tarExtract();
  const stages: NodeJS.ReadWriteStream[] = startsWith(head, GZIP_MAGIC) ? [createGunzip()] : [];
  const done = pipeline([body, ...stages, extract] as unknown as [Readable, NodeJS.WritableStream], { signal });
  done.catch(() => undefined);
  try {
    for await (const e of extract) {
      const h = e.header;
      let entry: LayerEntry;
      try {
        const path = safeEntryPath(h.name);
        entry = {
          path,
          type: h.type,
          size: headerNumber(h.size, 'size', path),
          mode: headerNumber(h.mode ?? 0o644, 'mode', path) & 0o7777,
          uid: headerNumber(h.uid ?? 0, 'uid', path, MAX_ID),
          gid: headerNumber(h.gid ?? 0, 'gid', path, MAX_ID),
          linkname: h.linkname ?? undefined,
          mtime: h.mtime,
        };
      } catch (err) {
        e.resume();
        throw new UnsafeTarEntryError(`layer ${layer.digest}: ${(err as Error).message}`);
      }
      await visit(entry, e as unknown as Readable);
      e.resume();
    }
  } catch (err) {
    body.destroy();
    throw err;
  }
  await done;
}

/** Reads a whole (small) entry body, refusing more than `limit` bytes. */
export async function readEntry(body: Readable, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) throw new Error(`${what}: larger than ${limit} bytes`);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}
