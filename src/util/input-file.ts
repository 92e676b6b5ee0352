/**
 * Reading the files a user hands airlock (auth files, pull secrets, mapping
 * files, configs, mirror policies) the same way everywhere: never more than
 * a stated size (a mistaken `-f /dev/zero` or a huge file fails at once
 * instead of filling memory), decoded as strict UTF-8, a UTF-8 byte order
 * mark skipped (Windows editors write one).
 *
 * Open and read failures are thrown as they are (callers tell ENOENT apart);
 * a file over the limit or not UTF-8 is an InputFileError naming the file.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export class InputFileError extends Error {
  readonly code = 'ERR_INPUT_FILE';
  constructor(message: string) {
    super(message);
    this.name = 'InputFileError';
  }
}

const MiB = 1 << 20;

/** Most bytes read from each kind of input. */
export const INPUT_LIMITS = {
  /** Auth files and pull secrets (a Red Hat pull secret is ~3 KB). */
  authFile: 4 * MiB,
  /** Registry configuration (YAML). */
  config: 4 * MiB,
  /** Mapping files, htpasswd files, ICSP/IDMS files. */
  list: 64 * MiB,
} as const;

const CHUNK = 64 * 1024;

function sizeText(n: number): string {
  return n >= MiB ? `${n / MiB} MiB` : `${Math.round(n / 1024)} KiB`;
}

function tooLarge(path: string, what: string, max: number): InputFileError {
  return new InputFileError(`${path}: larger than ${sizeText(max)}, the most a ${what} may have`);
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Strict UTF-8 text of `bytes` without a leading BOM. */
export function decodeInputText(bytes: Uint8Array, path: string, what: string): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new InputFileError(`${path}: not UTF-8 text (is this the ${what}?)`);
  }
}

/**
 * The text of `path`, at most `maxBytes` (a device or FIFO is read up to the
 * limit, never further). The read is synchronous: these are small inputs read
 * once before a command starts its work.
 */
export async function readInputFile(path: string, what: string, maxBytes: number): Promise<string> {
  return Promise.resolve().then(() => readInputFileSync(path, what, maxBytes));
}

/** readInputFile, synchronously. */
export function readInputFileSync(path: string, what: string, maxBytes: number): string {
  const fd = openSync(path, 'r');
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new InputFileError(`${path}: is a directory, not a ${what}`);
    if (st.isFile() && st.size > maxBytes) throw tooLarge(path, what, maxBytes);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, maxBytes + 1 - total));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw tooLarge(path, what, maxBytes);
      chunks.push(buf.subarray(0, n));
    }
    return decodeInputText(Buffer.concat(chunks, total), path, what);
  } finally {
    closeSync(fd);
  }
}
