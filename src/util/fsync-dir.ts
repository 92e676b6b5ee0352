import { open } from 'node:fs/promises';

/** fsyncs a directory, so the renames and creations in it survive a crash (POSIX). */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
