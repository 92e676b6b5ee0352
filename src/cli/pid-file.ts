import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** `<dataDir>/serve.pid` marks a data directory in use by a running `airlock serve`. */
export function pidFilePath(dataDir: string): string {
  return join(dataDir, 'serve.pid');
}

/** The pid of a live process holding the data directory, if any. */
export function runningServer(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFilePath(dataDir), 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

export function writePidFile(dataDir: string): void {
  const p = pidFilePath(dataDir);
  writeFileSync(`${p}.tmp`, `${process.pid}\n`, { mode: 0o644 });
  renameSync(`${p}.tmp`, p);
}

export function removePidFile(dataDir: string): void {
  rmSync(pidFilePath(dataDir), { force: true });
}
