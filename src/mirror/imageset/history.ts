/**
 * oc-mirror v2's blob history of mirror to disk (reference §5.9):
 * `working-dir/.history/.history-<RFC3339>`, one digest per line, each file
 * the cumulative set of everything delivered so far. m2d packs only blobs
 * not in the chosen history file: the newest one, or with `--since
 * yyyy-MM-dd` the newest one written before that day. After the set is
 * committed a new file is written with the old digests plus the set's.
 *
 * Next to each history file airlock keeps `.images-<RFC3339>` (same time):
 * the manifests (`PATH@DIGEST`) and tags (`PATH:TAG@DIGEST`) delivered so
 * far, per path of the set (delivered-images.ts), so an incremental archive
 * leaves out manifests and unchanged tags too. The history file itself stays
 * v2's one-digest-per-line format. A history file without its images file
 * (an older run) leaves out blobs only.
 */
import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readInputFile } from '../../util/input-file.js';
import { DigestSet } from '../../transports/archive/skip-set.js';
import { DeliveredImages } from '../../transports/archive/delivered-images.js';
import { fileTime } from './outputs.js';

export const HISTORY_DIR = '.history';
const PREFIX = '.history-';
const IMAGES = '.images-';
const MAX_HISTORY = 256 * 1024 * 1024;
const DIGEST = /^sha(256:[0-9a-f]{64}|512:[0-9a-f]{128})$/;

export class HistoryError extends Error {
  readonly code = 'ERR_MIRROR_HISTORY';
}

export interface History {
  /** The history file read (undefined: none, a full archive). */
  readonly file?: string;
  readonly digests: DigestSet;
  /** Manifests and tags delivered (empty: none recorded). */
  readonly images: DeliveredImages;
}

/** `--since` as the start of that day (UTC); a precise error otherwise. */
export function parseSince(text: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (d === undefined || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== text) throw new HistoryError(`--since ${text}: not a date (yyyy-MM-dd, e.g. 2026-11-30)`);
  return d;
}

/** History files of `work` (working-dir), oldest first, with their times. */
async function historyFiles(work: string): Promise<{ name: string; time: Date }[]> {
  let names: string[];
  try {
    names = await readdir(join(work, HISTORY_DIR));
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(PREFIX))
    .map((name) => ({ name, time: new Date(name.slice(PREFIX.length)) }))
    .filter((f) => !Number.isNaN(f.time.getTime()))
    .sort((a, b) => a.time.getTime() - b.time.getTime());
}

/** The history m2d starts from: the newest file, or the newest before `since`. */
export async function readHistory(work: string, since?: Date): Promise<History> {
  const files = (await historyFiles(work)).filter((f) => since === undefined || f.time.getTime() < since.getTime());
  const pick = files.at(-1);
  if (pick === undefined) return { digests: new DigestSet(), images: new DeliveredImages() };
  const path = join(work, HISTORY_DIR, pick.name);
  const text = await readInputFile(path, 'history file', MAX_HISTORY);
  const digests: string[] = [];
  text.split('\n').forEach((line, n) => {
    const l = line.trim();
    if (l === '') return;
    if (!DIGEST.test(l)) throw new HistoryError(`${path}:${n + 1}: not a digest ("${l.slice(0, 80)}"); remove the file to pack everything again`);
    digests.push(l);
  });
  const images = new DeliveredImages();
  const imagesPath = join(work, HISTORY_DIR, `${IMAGES}${pick.name.slice(PREFIX.length)}`);
  let imagesText: string | undefined;
  try {
    imagesText = await readInputFile(imagesPath, 'image history file', MAX_HISTORY);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  imagesText?.split('\n').forEach((line, n) => {
    const l = line.trim();
    if (l !== '' && !images.addLine(l)) throw new HistoryError(`${imagesPath}:${n + 1}: not PATH@DIGEST or PATH:TAG@DIGEST ("${l.slice(0, 80)}"); remove the file to pack every manifest again`);
  });
  return { file: path, digests: new DigestSet(digests), images };
}

async function writeAtomic(path: string, lines: readonly string[]): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, lines.map((d) => `${d}\n`).join(''), { mode: 0o644 });
  await rename(tmp, path);
}

/** Writes `.images-<now>` (images) then `.history-<now>` (digests), sorted (temp file + rename each). Returns the history file's path. */
export async function writeHistory(work: string, now: Date, digests: Iterable<string>, images?: DeliveredImages): Promise<string> {
  const dir = join(work, HISTORY_DIR);
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${PREFIX}${fileTime(now)}`);
  if (images !== undefined) await writeAtomic(join(dir, `${IMAGES}${fileTime(now)}`), images.lines());
  await writeAtomic(path, [...new Set(digests)].sort());
  return path;
}
