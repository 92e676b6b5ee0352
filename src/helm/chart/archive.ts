/**
 * A chart's files, from a chart archive (`NAME-VERSION.tgz`: gzip'd tar with
 * one top directory) or a chart directory. Paths are relative to the chart
 * root, `/`-separated. Archives are bounded (entries and bytes) and refuse
 * paths that leave the root, as Helm's loader does.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract as tarExtract } from 'tar-stream';

export type ChartFiles = Map<string, Buffer>;

export class ChartLoadError extends Error {
  readonly code = 'ERR_HELM_CHART';
}

const MAX_BYTES = 64 * 1024 * 1024;
const MAX_ENTRIES = 20000;

function clean(path: string, what: string): string | undefined {
  const parts = path.replace(/\\/g, '/').split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) throw new ChartLoadError(`${what}: the entry ${JSON.stringify(path)} leaves the chart directory`);
  return parts.length === 0 ? undefined : parts.join('/');
}

/** The files of a chart archive, the top directory stripped. */
export async function readChartArchive(bytes: Buffer, what: string): Promise<ChartFiles> {
  const files: ChartFiles = new Map();
  const ex = tarExtract();
  let total = 0;
  let entries = 0;
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: unknown) => {
        const c = chunk as Buffer;
        total += c.length;
        if (total > MAX_BYTES) {
          reject(new ChartLoadError(`${what}: the chart archive unpacks to more than ${MAX_BYTES} bytes`));
          ex.destroy();
          return;
        }
        chunks.push(c);
      });
      stream.on('end', () => {
        try {
          if (++entries > MAX_ENTRIES) throw new ChartLoadError(`${what}: the chart archive has more than ${MAX_ENTRIES} entries`);
          if (header.type === 'file' || header.type === 'contiguous-file') {
            const p = clean(header.name, what);
            const inner = p?.includes('/') ? p.slice(p.indexOf('/') + 1) : undefined;
            if (inner !== undefined) files.set(inner, Buffer.concat(chunks));
          }
          next();
        } catch (e) {
          reject(e as Error);
          ex.destroy();
        }
      });
      stream.on('error', reject);
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  const gunzip = createGunzip();
  gunzip.on('error', (e) => ex.destroy(new ChartLoadError(`${what}: not a gzip'd chart archive (${e.message})`)));
  Readable.from([bytes]).pipe(gunzip).pipe(ex);
  try {
    await done;
  } catch (e) {
    if (e instanceof ChartLoadError) throw e;
    throw new ChartLoadError(`${what}: not a chart archive (${(e as Error).message})`);
  }
  if (files.size === 0) throw new ChartLoadError(`${what}: the chart archive is empty`);
  return files;
}

/** The files of a chart directory (symbolic links are not followed). */
export async function readChartDir(dir: string): Promise<ChartFiles> {
  const files: ChartFiles = new Map();
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        total += (await stat(p)).size;
        if (total > MAX_BYTES) throw new ChartLoadError(`${dir}: the chart directory holds more than ${MAX_BYTES} bytes`);
        files.set(relative(dir, p).split(sep).join('/'), await readFile(p));
      }
    }
  };
  try {
    await walk(dir);
  } catch (e) {
    if (e instanceof ChartLoadError) throw e;
    throw new ChartLoadError(`${dir}: cannot read the chart directory (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return files;
}
