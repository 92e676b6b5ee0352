/**
 * What an image-set archive holds, read from the tars themselves (member
 * names, and the repositories member's tags and manifests), and a check that a whole set (as a full m2d indexes it) is in a
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

const REPOSITORIES = 'airlock/repositories.json';

export async function readIndex(dir: string): Promise<ArchiveIndex> {
  return JSON.parse(await readFile(join(dir, 'mirror_index.json'), 'utf8')) as ArchiveIndex;
}

/** Member names of one tar (and the bytes of the members `keep` names). */
export async function tarMembers(path: string, keep?: Map<string, Buffer>): Promise<string[]> {
  const names: string[] = [];
  const ex = tarExtract();
  createReadStream(path).pipe(ex);
  for await (const e of ex) {
    names.push(e.header.name);
    if (keep?.has(e.header.name)) {
      const parts: Buffer[] = [];
      for await (const c of e) parts.push(c as Buffer);
      keep.set(e.header.name, Buffer.concat(parts));
    } else e.resume();
  }
  return names;
}

export interface SetMembers {
  /** sha256:<hex> of every docker/registry/v2/blobs member (blobs and manifests). */
  readonly blobs: string[];
  /** `repo@digest` of every manifest the repositories member lists. */
  readonly revisions: string[];
  /** `repo:tag` of every tag the repositories member lists. */
  readonly tags: string[];
  readonly other: string[];
}

/** Every member of every mirror_*.tar in `dir`, sorted by kind. */
export async function setMembers(dir: string): Promise<SetMembers> {
  const tars = (await readdir(dir)).filter((f) => /^mirror_\d{6}\.tar$/.test(f)).sort();
  const keep = new Map([[REPOSITORIES, Buffer.alloc(0)]]);
  const names = (await Promise.all(tars.map((t) => tarMembers(join(dir, t), keep)))).flat();
  const out: SetMembers = { blobs: [], revisions: [], tags: [], other: [] };
  for (const n of names) {
    const m = /^docker\/registry\/v2\/blobs\/sha256\/[0-9a-f]{2}\/([0-9a-f]{64})\/data$/.exec(n);
    if (m) out.blobs.push(`sha256:${m[1]}`);
    else out.other.push(n);
  }
  const doc = JSON.parse(keep.get(REPOSITORIES)!.toString('utf8')) as { repositories: ArchiveIndex['repositories'] };
  for (const [repo, r] of Object.entries(doc.repositories)) {
    for (const d of r.manifests) out.revisions.push(`${repo}@${d}`);
    for (const t of Object.keys(r.tags)) out.tags.push(`${repo}:${t}`);
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
