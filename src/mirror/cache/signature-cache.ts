/**
 * Release signatures kept in the cache (`signatures/sha256-<hex>`, one JSON
 * file per release digest, as oc-mirror keeps `working-dir/signatures/`):
 * a signature found once is not fetched again, and a release whose stores
 * cannot be reached still gets its ConfigMap. `--force-cache-delete` of
 * `mirror delete` removes them with the release.
 */
import { fetchSignatures, type FetchedSignatures } from '../../release/signatures.js';
import type { CacheStore } from './cache-store.js';

const nameOf = (digest: string): string => digest.replace(':', '-');

export async function cachedSignatures(cache: CacheStore | undefined, stores: readonly string[], digest: string): Promise<FetchedSignatures> {
  if (cache !== undefined) {
    const hit = await cache.get('signatures', nameOf(digest)).catch(() => undefined);
    if (hit !== undefined) {
      const s = JSON.parse(hit.toString('utf8')) as { signatures: string[] };
      return { signatures: s.signatures.map((b) => Buffer.from(b, 'base64')), warnings: [] };
    }
  }
  const got = await fetchSignatures(stores, digest);
  if (cache !== undefined && got.signatures.length > 0) {
    await cache.put('signatures', nameOf(digest), JSON.stringify({ digest, signatures: got.signatures.map((b) => b.toString('base64')) })).catch(() => undefined);
  }
  return got;
}
