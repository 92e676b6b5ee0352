/**
 * What an image-set archive holds, read from the tars themselves (member
 * names), and a check that a whole set (as a full m2d indexes it) is in a
 * mirror: every tag at its digest, every top-level manifest's tree (children
 * and blobs) readable and matching its digests.
 */
import { createReadStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { extract as tarExtract } from 'tar-stream';
import type { ArchiveIndex } from '../../../src/transports/archive/format.js';
import { checkImageTree } from '../../interop/support/registry-api.js';
import { resolveTags } from '../../release/support.js';

export async function readIndex(dir: string): Promise<ArchiveIndex> {
  return JSON.parse(await readFile(join(dir, 'mirror_index.json'), 'utf8')) as ArchiveIndex;
}

/** Member names of one tar. */
export async function tarMembers(path: string): Promise<string[]> {
  const names: string[] = [];
  const ex = tarExtract();
  createReadStream(path).pipe(ex);
  for await (const e of ex) {
    names.push(e.header.name);
    e.resume();
  }
  return names;
}

export interface SetMembers {
  /** sha256:<hex> of every docker/registry/v2/blobs member (blobs and manifests). */
  readonly blobs: string[];
  /** `repo@digest` of every revision link member. */
  readonly revisions: string[];
  /** `repo:tag` of every tag link member. */
  readonly tags: string[];
  readonly other: string[];
}

/** Every member of every mirror_*.tar in `dir`, sorted by kind. */
export async function setMembers(dir: string): Promise<SetMembers> {
  const tars = (await readdir(dir)).filter((f) => /^mirror_\d{6}\.tar$/.test(f)).sort();
  const names = (await Promise.all(tars.map((t) => tarMembers(join(dir, t))))).flat();
  const out: SetMembers = { blobs: [], revisions: [], tags: [], other: [] };
  for (const n of names) {
    let m: RegExpExecArray | null;
    if ((m = /^docker\/registry\/v2\/blobs\/sha256\/[0-9a-f]{2}\/([0-9a-f]{64})\/data$/.exec(n))) out.blobs.push(`sha256:${m[1]}`);
    else if ((m = /^docker\/registry\/v2\/repositories\/(.+)\/_manifests\/revisions\/sha256\/([0-9a-f]{64})\/link$/.exec(n))) out.revisions.push(`${m[1]}@sha256:${m[2]}`);
    else if ((m = /^docker\/registry\/v2\/repositories\/(.+)\/_manifests\/tags\/([^/]+)\/current\/link$/.exec(n))) out.tags.push(`${m[1]}:${m[2]}`);
    else out.other.push(n);
  }
  for (const l of Object.values(out) as string[][]) l.sort();
  return out;
}

/** Problems found checking that every image of `full` (a full set's index) is in `registry` under `prefix`. */
export async function wholeSetProblems(registry: string, baseUrl: string, prefix: string, full: ArchiveIndex): Promise<string[]> {
  const problems: string[] = [];
  const at = (repo: string): string => (prefix === '' ? repo : `${prefix}/${repo}`);
  for (const [repo, r] of Object.entries(full.repositories)) {
    const tags = Object.entries(r.tags);
    const got = await resolveTags(registry, at(repo), tags.map(([t]) => t));
    tags.forEach(([t, d], k) => { if (got[k] !== d) problems.push(`${at(repo)}:${t} is ${got[k] ?? 'absent'}, want ${d}`); });
    for (const d of new Set([...tags.map(([, d]) => d), ...r.untagged])) problems.push(...(await checkImageTree(baseUrl, at(repo), d)));
  }
  return problems;
}
