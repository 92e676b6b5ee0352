/**
 * What the far side of the air gap already holds, so m2d leaves it out.
 *
 * A BlobSkipSet answers, for a blob digest, "the destination registry has
 * this one": the archive writer then answers the copy engine's hasBlob with
 * 'present' and the blob never enters a tar. Sources of the answer:
 * - a previous run's mirror_index.json (what it carried plus what it had
 *   skipped: after its d2m, the far side holds all of it), as v2's history;
 * - an inventory written on the far side by `airlock inventory export`.
 */
import { readFile } from 'node:fs/promises';
import { isDigest, type Digest } from '../../oci/digest.js';
import { DeliveredImages } from './delivered-images.js';
import { z } from 'zod';
import { ArchiveIndexSchema, ArchiveWriteError } from './format.js';

export interface BlobSkipSet {
  /** True when the far side is known to hold `digest` (any repository). */
  has(digest: Digest): boolean;
  readonly size: number;
}

export class DigestSet implements BlobSkipSet {
  private readonly digests: Set<string>;
  constructor(digests: Iterable<string> = []) {
    this.digests = new Set(digests);
  }
  has(digest: Digest): boolean {
    return this.digests.has(digest);
  }
  get size(): number {
    return this.digests.size;
  }
  /** A set holding both. */
  union(other: Iterable<string>): DigestSet {
    return new DigestSet([...this.digests, ...other]);
  }
  values(): IterableIterator<string> {
    return this.digests.values();
  }
}

const MAX_FILE = 512 * 1024 * 1024;

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    const buf = await readFile(file);
    if (buf.length > MAX_FILE) throw new ArchiveWriteError(`${file}: ${what} is larger than ${MAX_FILE} bytes`);
    text = buf.toString('utf8');
  } catch (e) {
    if (e instanceof ArchiveWriteError) throw e;
    throw new ArchiveWriteError(`cannot read ${what} ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ArchiveWriteError(`${file}: ${what} is not JSON: ${(e as Error).message}`);
  }
}

/** The blobs a far side holds after the d2m of the archive set indexed by `indexFile` (its blobs plus the ones it skipped). */
export async function deliveredByIndex(indexFile: string): Promise<DigestSet> {
  const parsed = ArchiveIndexSchema.safeParse(await readJson(indexFile, 'archive index'));
  if (!parsed.success) throw new ArchiveWriteError(`${indexFile}: not an airlock archive index (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`);
  return new DigestSet([...Object.keys(parsed.data.blobs), ...Object.keys(parsed.data.delivered)]);
}

export { readJson as readJsonFile };

export const INVENTORY_FORMAT = 'airlock-inventory/v1';

/** What `airlock inventory export` writes: a registry's repositories and tags, and every blob digest it holds → repositories. */
export const InventorySchema = z
  .object({
    format: z.literal(INVENTORY_FORMAT),
    registry: z.string(),
    /** The PREFIX of `docker://HOST/PREFIX` it was exported for: repositories are PREFIX/<path in the set>. */
    prefix: z.string().optional(),
    created: z.string(),
    repositories: z.record(z.string(), z.object({ tags: z.record(z.string(), z.string()) }).strict()),
    blobs: z.record(z.string(), z.array(z.string())),
  })
  .strict();
export type Inventory = z.infer<typeof InventorySchema>;

/** What an inventory file (--since-inventory) says the far registry holds: every blob and manifest digest, and its manifests and tags per path of the set. */
export async function inventorySkipSet(file: string): Promise<{ blobs: DigestSet; images: DeliveredImages }> {
  const parsed = InventorySchema.safeParse(await readJson(file, 'inventory'));
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new ArchiveWriteError(`${file}: not an airlock inventory (${i?.path.join('.') ?? ''}: ${i?.message ?? ''}); write one with airlock inventory export`);
  }
  const inv = parsed.data;
  const prefix = inv.prefix === undefined || inv.prefix === '' ? '' : `${inv.prefix}/`;
  // A repository outside the prefix is not where d2m will push: its manifests do not count.
  const path = (repo: string): string | undefined => (repo.startsWith(prefix) ? repo.slice(prefix.length) : undefined);
  const images = new DeliveredImages();
  for (const [digest, repos] of Object.entries(inv.blobs)) for (const r of repos) {
    const p = path(r);
    if (p !== undefined) images.addManifest(p, digest);
  }
  for (const [repo, r] of Object.entries(inv.repositories)) {
    const p = path(repo);
    if (p !== undefined) for (const [tag, d] of Object.entries(r.tags)) if (isDigest(d)) images.addTag(p, tag, d as Digest);
  }
  return { blobs: new DigestSet(Object.keys(inv.blobs)), images };
}
