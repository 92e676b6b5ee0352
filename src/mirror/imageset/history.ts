/**
 * oc-mirror v2's blob history of mirror to disk (reference §5.9):
 * `working-dir/.history/.history-<RFC3339>`, one digest per line, each file
 * the cumulative set of everything delivered so far. m2d packs only blobs
 * not in the chosen history file: the newest one, or with `--since
 * yyyy-MM-dd` the newest one written before that day. After the set is
 * committed a new file is written with the old digests plus the set's.
 */
import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readInputFile } from '../../util/input-file.js';
import { DigestSet } from '../../transports/archive/skip-set.js';
import { fileTime } from './outputs.js';

export const HISTORY_DIR = '.history';
const PREFIX = '.history-';
const MAX_HISTORY = 256 * 1024 * 1024;
const DIGEST = /^sha(256:[0-9a-f]{64}|512:[0-9a-f]{128})$/;

export class HistoryError extends Error {
  readonly code = 'ERR_MIRROR_HISTORY';
}

export interface History {
  /** The history file read (undefined: none, a full archive). */
  readonly file?: string;
  readonly digests: DigestSet;
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
  if (pick === undefined) return { digests: new DigestSet() };
  const path = join(work, HISTORY_DIR, pick.name);
  const text = await readInputFile(path, 'history file', MAX_HISTORY);
  const digests: string[] = [];
  text.split('\n').forEach((line, n) => {
    const l = line.trim();
    if (l === '') return;
    if (!DIGEST.test(l)) throw new HistoryError(`${path}:${n + 1}: not a digest ("${l.slice(0, 80)}"); remove the file to pack everything again`);
    digests.push(l);
  });
  return { file: path, digests: new DigestSet(digests) };
}

/** Writes `.history-<now>` with `digests`, sorted (temp file + rename). Returns its path. */
export async function writeHistory(work: string, now: Date, digests: Iterable<string>): Promise<string> {
  const dir = join(work, HISTORY_DIR);
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${PREFIX}${fileTime(now)}`);
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, [...new Set(digests)].sort().map((d) => `${d}\n`).join(''), { mode: 0o644 });
  await rename(tmp, path);
  return path;
}
