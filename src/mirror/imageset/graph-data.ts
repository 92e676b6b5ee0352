/**
 * The Cincinnati graph-data tarball (reference §5.4, anchors §3.2): where it
 * comes from and its files. The URL is `--graph-data-url`, else derived from
 * `UPDATE_URL_OVERRIDE` (a local update service `…/graph` or
 * `…/api/upgrades_info/v1/graph` → `…/graph-data` or
 * `…/api/upgrades_info/graph-data`), else api.openshift.com's. The body may
 * be gzip-compressed or plain tar; it is read whole (capped), and only
 * regular files with safe relative paths are kept (a single wrapping
 * directory, as in GitHub's archive of cincinnati-graph-data, is removed).
 */
import { gunzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { extract as tarExtract } from 'tar-stream';

export const GRAPH_DATA_URL = 'https://api.openshift.com/api/upgrades_info/graph-data';
const MAX_TARBALL = 256 << 20;
/** Top-level names of graph data itself (never stripped as a wrapper directory). */
const GRAPH_DIRS = new Set(['channels', 'blocked-edges', 'raw', 'signatures', 'build-suggestions', 'version']);

export class GraphDataError extends Error {
  readonly code = 'ERR_GRAPH_DATA';
}

export interface GraphFile {
  /** Relative path inside the graph data (`channels/stable-4.18.yaml`). */
  readonly path: string;
  readonly data: Buffer;
}

/** The tarball URL for a run: the flag, else UPDATE_URL_OVERRIDE's service, else the public one. */
export function graphDataUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag !== undefined && flag !== '') return flag;
  const o = env.UPDATE_URL_OVERRIDE;
  if (o === undefined || o === '') return GRAPH_DATA_URL;
  const base = o.replace(/\/+$/, '');
  if (/\/api\/upgrades_info\/v1\/graph$/.test(base)) return base.replace(/\/v1\/graph$/, '/graph-data');
  if (/\/graph$/.test(base)) return `${base}-data`;
  return `${base}/graph-data`;
}

/** Reads the files of a graph-data tarball (gzip or plain tar). */
export async function readGraphTarball(bytes: Buffer, what: string): Promise<GraphFile[]> {
  let tar = bytes;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      tar = gunzipSync(bytes, { maxOutputLength: 4 * MAX_TARBALL });
    } catch (e) {
      throw new GraphDataError(`${what}: not a gzip-compressed tar (${(e as Error).message})`);
    }
  }
  const files: GraphFile[] = [];
  const ex = tarExtract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        const name = h.name.replace(/^(\.\/)+/, '');
        if (h.type === 'file' && name !== '' && !name.startsWith('/') && !name.split('/').includes('..')) files.push({ path: name.replace(/\/+$/, ''), data: Buffer.concat(chunks) });
        next();
      });
      stream.on('error', reject);
    });
    ex.on('finish', resolve);
    ex.on('error', (e) => reject(new GraphDataError(`${what}: not a tar archive (${e.message})`)));
  });
  Readable.from([tar]).pipe(ex);
  await done;
  if (files.length === 0) throw new GraphDataError(`${what}: the tarball holds no files`);
  const tops = new Set(files.map((f) => f.path.split('/')[0]!));
  const top = [...tops][0]!;
  const out = tops.size === 1 && files.every((f) => f.path.includes('/')) && !GRAPH_DIRS.has(top) ? files.map((f) => ({ path: f.path.slice(top.length + 1), data: f.data })) : files;
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Downloads and reads the tarball at `url`. */
export async function fetchGraphData(url: string, signal?: AbortSignal): Promise<GraphFile[]> {
  let res: Response;
  try {
    res = await fetch(url, { signal: signal ?? AbortSignal.timeout(300_000) });
  } catch (e) {
    throw new GraphDataError(`graph data ${url}: ${(e as Error).message} (set --graph-data-url, or UPDATE_URL_OVERRIDE, to a reachable update service)`);
  }
  if (res.status !== 200) throw new GraphDataError(`graph data ${url}: HTTP ${res.status} (set --graph-data-url to the graph-data tarball)`);
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) {
    n += c.length;
    if (n > MAX_TARBALL) throw new GraphDataError(`graph data ${url}: larger than ${MAX_TARBALL} bytes`);
    chunks.push(Buffer.from(c));
  }
  return readGraphTarball(Buffer.concat(chunks), `graph data ${url}`);
}
