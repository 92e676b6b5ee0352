/**
 * The second hop of the air-gapped catalog flow reads an index from the
 * file:// store (`file://local/index/myrepo/my-index:v1`) whose related
 * images the first hop wrote under the SAME root (`local/index/<their
 * repository>`). Which prefix of the index's path is that root is not
 * written anywhere (only the `v2/` directory crosses the air gap), so it is
 * found by looking: the prefix under which most of a sample of the related
 * images exist by digest (the longest on a tie).
 */
import { parseImageName } from '../../reference/image-name.js';
import { FileRepository } from '../../transports/file-store/file-store.js';

const SAMPLE = 16;

export interface FileRoot {
  /** `local/index` (no leading or trailing `/`). */
  readonly root: string;
  /** The index's repository below the root (`myrepo/my-index`). */
  readonly indexPath: string;
  /** False when no related image was found under any prefix (the root is then a guess). */
  readonly found: boolean;
}

/** Where related image `image` (as the catalog names it) lives in the store under `root`. */
export function fileRepositoryOf(root: string, image: string): string {
  return `${root}/${parseImageName(image).repository}`;
}

async function present(storeRoot: string, repository: string, digest: string): Promise<boolean> {
  try {
    return (await new FileRepository(storeRoot, repository).resolve(digest)) !== undefined;
  } catch {
    return false;
  }
}

/**
 * The file root of the index repository `indexRepository` (in the store at
 * `storeRoot`), judged by `images` (related images as the catalog names
 * them; those with a digest are sampled). Without evidence the root is all
 * but the last two path components (oc's `file://<root>/<ns>/<name>`).
 */
export async function findFileRoot(storeRoot: string, indexRepository: string, images: readonly string[]): Promise<FileRoot> {
  const parts = indexRepository.split('/');
  const sample = images.filter((i) => i.includes('@')).slice(0, SAMPLE);
  let best = { k: Math.max(1, parts.length - 2), hits: 0 };
  for (let k = parts.length - 1; k >= 1; k--) {
    const root = parts.slice(0, k).join('/');
    let hits = 0;
    for (const image of sample) {
      const n = parseImageName(image);
      if (n.digest !== undefined && (await present(storeRoot, `${root}/${n.repository}`, n.digest))) hits++;
    }
    if (hits > best.hits) best = { k, hits };
  }
  return { root: parts.slice(0, best.k).join('/'), indexPath: parts.slice(best.k).join('/'), found: best.hits > 0 };
}
