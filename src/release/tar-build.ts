/**
 * Deterministic tar (+gzip) layers built in memory: uid/gid 0 and mtime 0
 * unless given, no user names, entries in the order given and names written as
 * given (never normalized, so tests can build hostile layers too). Used for
 * release payload layers and test fixtures; sizes here are small by design.
 */
import { gzipSync } from 'node:zlib';
import { pack as tarPack, type Header } from 'tar-stream';
import { digestOf, type Digest } from '../oci/digest.js';

export interface TarInput {
  readonly path: string;
  /** Default `file`. */
  readonly type?: Header['type'];
  readonly data?: Buffer | string;
  readonly mode?: number;
  readonly linkname?: string;
  readonly uid?: number;
  readonly gid?: number;
  /** Default: the epoch. */
  readonly mtime?: Date;
}

export interface BuiltLayer {
  /** gzip-compressed tar (the blob). */
  readonly blob: Buffer;
  readonly digest: Digest;
  /** Digest of the uncompressed tar (rootfs diff_id). */
  readonly diffId: Digest;
}

export async function buildTar(entries: readonly TarInput[]): Promise<Buffer> {
  const p = tarPack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Buffer));
  const ended = new Promise<void>((resolve, reject) => {
    p.on('end', resolve);
    p.on('error', reject);
  });
  for (const e of entries) {
    const type = e.type ?? 'file';
    const data = e.data === undefined ? Buffer.alloc(0) : Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data, 'utf8');
    const header = { name: e.path, type, mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644), mtime: e.mtime ?? new Date(0), uid: e.uid ?? 0, gid: e.gid ?? 0, uname: '', gname: '', ...(e.linkname !== undefined ? { linkname: e.linkname } : {}) };
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (type === 'file') p.entry(header, data, cb);
      else p.entry(header, cb);
    });
  }
  p.finalize();
  await ended;
  return Buffer.concat(chunks);
}

export async function buildLayer(entries: readonly TarInput[]): Promise<BuiltLayer> {
  const tar = await buildTar(entries);
  const blob = gzipSync(tar, { level: 6 });
  return { blob, digest: digestOf(blob), diffId: digestOf(tar) };
}

/** The directories leading to each path, each once, before the files (tar convention). */
export function withParents(files: readonly TarInput[]): TarInput[] {
  const out: TarInput[] = [];
  const seen = new Set<string>();
  for (const f of files) {
    const parts = f.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = `${parts.slice(0, i).join('/')}/`;
      if (!seen.has(dir)) {
        seen.add(dir);
        out.push({ path: dir, type: 'directory' });
      }
    }
    out.push(f);
  }
  return out;
}
