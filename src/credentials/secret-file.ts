/**
 * Reading and writing credential files safely:
 *
 * - writes are atomic: a temporary file (created 0600, in the same
 *   directory) is written, fsynced and renamed over the file, so a reader —
 *   or a crash — sees the old content or the new one, never a part;
 * - the result is always 0600 (a file that was more open is tightened), a
 *   missing directory is created 0700, a symbolic link is written through
 *   (the link stays), and root keeps the file's owner;
 * - read-modify-write cycles of cooperating airlock processes are serialized
 *   by a lock file beside the credentials file (`FILE.lock`), taken over
 *   when its process is gone.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fchownSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { INPUT_LIMITS, InputFileError, readInputFileSync } from '../util/input-file.js';
import { CredentialsError } from './errors.js';

const errno = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

/** The path writes go to: `path` itself, or the file a symbolic link at `path` points to. */
export function writeTarget(path: string): string {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch {
    return path;
  }
  if (!st.isSymbolicLink()) return path;
  try {
    return realpathSync(path);
  } catch (e) {
    throw new CredentialsError(`${path} is a symbolic link that cannot be followed (${errno(e)})`);
  }
}

/** The file's text, or undefined when it does not exist. Other failures throw CredentialsError naming the file. */
export function readCredentialsFile(path: string): string | undefined {
  try {
    return readInputFileSync(path, 'registry auth file', INPUT_LIMITS.authFile);
  } catch (e) {
    if (e instanceof InputFileError) throw new CredentialsError(e.message);
    if (errno(e) === 'ENOENT') return undefined;
    throw new CredentialsError(`cannot read ${path}: ${errno(e)}`);
  }
}

/** Atomically replaces `path` (see the module comment) with `text`, mode 0600. */
export function writeCredentialsFile(path: string, text: string): void {
  const target = writeTarget(path);
  const dir = dirname(target);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new CredentialsError(`cannot create the directory ${dir}: ${errno(e)}`);
  }
  let old: Stats | undefined;
  try {
    old = statSync(target);
  } catch {
    old = undefined;
  }
  if (old !== undefined && !old.isFile()) throw new CredentialsError(`${target} is not a regular file`);
  const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  let fd: number;
  try {
    fd = openSync(tmp, 'wx', 0o600);
  } catch (e) {
    throw new CredentialsError(`cannot write in ${dir}: ${errno(e)}`);
  }
  try {
    fchmodSync(fd, 0o600);
    if (old !== undefined && process.getuid?.() === 0 && old.uid !== 0) fchownSync(fd, old.uid, old.gid);
    writeSync(fd, Buffer.from(text, 'utf8'));
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, target);
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(tmp, { force: true });
    throw new CredentialsError(`cannot write ${target}: ${errno(e)}`);
  }
  try {
    const dfd = openSync(dir, 'r');
    fsyncSync(dfd);
    closeSync(dfd);
  } catch {
    // the rename is done; a directory fsync is best effort
  }
}

function lockIsStale(lock: string): boolean {
  try {
    const pid = Number(readFileSync(lock, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0) {
      try {
        process.kill(pid, 0);
      } catch (e) {
        return errno(e) === 'ESRCH';
      }
    }
    return Date.now() - statSync(lock).mtimeMs > 60_000;
  } catch {
    return false;
  }
}

/**
 * Runs `fn` while holding `path`'s lock file (created in `path`'s directory,
 * made 0700 when missing). Waits up to `timeoutMs` for another holder.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T> | T, timeoutMs = 15_000): Promise<T> {
  const target = writeTarget(path);
  const lock = `${target}.lock`;
  try {
    mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new CredentialsError(`cannot create the directory ${dirname(target)}: ${errno(e)}`);
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (e) {
      if (errno(e) !== 'EEXIST') throw new CredentialsError(`cannot create the lock file ${lock}: ${errno(e)}`);
    }
    if (lockIsStale(lock)) {
      rmSync(lock, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new CredentialsError(`${lock} is held by another process; try again, or remove it if no airlock command is running`);
    await sleep(20 + Math.random() * 40);
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}
