/**
 * What a mirror left on disk, checked from the outside (node:fs and
 * node:crypto only): every file under a `blobs` directory hashes to its name
 * (oc's disk store: `blobs/sha256:<hex>`; OCI layout: `blobs/sha256/<hex>`),
 * no temporary file remains anywhere, and snapshots of a whole tree to prove
 * a run wrote nothing.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';

async function fileDigest(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return `sha256:${h.digest('hex')}`;
}

/** Every path under `root` (relative), depth first; [] when `root` does not exist. */
export async function listTree(root: string): Promise<string[]> {
  let names: string[];
  try {
    names = (await readdir(root, { recursive: true })) as string[];
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names.sort();
}

/**
 * Problems with the blobs under `root` (empty: all good): a blob file whose
 * content does not hash to its name, a file under blobs/ that is not named
 * as a blob, a temporary file (`.tmp-`) anywhere.
 */
export async function blobProblems(root: string): Promise<string[]> {
  const problems: string[] = [];
  for (const rel of await listTree(root)) {
    const path = join(root, rel);
    const name = basename(rel);
    if (name.includes('.tmp-') || name.includes('.tmp')) problems.push(`temporary file left: ${rel}`);
    const st = await lstat(path);
    if (!st.isFile() || !rel.split(sep).includes('blobs')) continue;
    let want: string | undefined;
    if (/^sha256:[0-9a-f]{64}$/.test(name)) want = name;
    else if (/^[0-9a-f]{64}$/.test(name) && basename(dirname(path)) === 'sha256') want = `sha256:${name}`;
    if (want === undefined) {
      if (!name.includes('.tmp')) problems.push(`unexpected file under blobs: ${rel}`);
      continue;
    }
    const got = await fileDigest(path);
    if (got !== want) problems.push(`${rel} hashes to ${got}`);
  }
  return problems;
}

/** Problems with `repo:tag` (= `digest`, with `blobs`) in oc's disk store under `dir`. */
export async function fileStoreImageProblems(dir: string, repo: string, tag: string, digest: string, blobs: readonly string[]): Promise<string[]> {
  const base = join(dir, 'v2', ...repo.split('/'));
  const problems: string[] = [];
  try {
    const target = await readlink(join(base, 'manifests', tag));
    if (target !== digest) problems.push(`manifests/${tag} -> ${target}, want ${digest}`);
  } catch (e) {
    problems.push(`manifests/${tag}: ${(e as Error).message}`);
  }
  for (const d of [digest, ...blobs]) {
    try {
      const got = `sha256:${createHash('sha256').update(await readFile(join(base, 'blobs', d))).digest('hex')}`;
      if (got !== d) problems.push(`blobs/${d} hashes to ${got}`);
    } catch (e) {
      problems.push(`blobs/${d}: ${(e as Error).message}`);
    }
  }
  return problems;
}

/** Every entry under `root` with its type, size and modification time (to compare before/after). */
export async function snapshot(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const rel of await listTree(root)) {
    const st = await lstat(join(root, rel));
    const kind = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : 'file';
    out.push(`${relative(root, join(root, rel))} ${kind} ${kind === 'dir' ? '' : st.size} ${st.mtimeMs}`);
  }
  return out;
}
