/**
 * Checks, before anything is copied, that every item's source image exists,
 * so that a run can report ALL missing images at once with why each one is
 * in the plan (oc reports them one at a time, mid-run).
 */
import { destinationName } from '../copy/mirror.js';
import { openSource, type TransportEnv } from '../transports/open.js';
import { ImageNotFoundError, type ImageSource } from '../transports/types.js';
import type { PlanItem } from './plan.js';

export interface MissingItem {
  readonly item: PlanItem;
  /** `<source repository>@<digest>` or `:<tag>`, as error lines print it. */
  readonly image: string;
  readonly message: string;
}

function label(i: PlanItem): string {
  return `${destinationName(i.source, undefined)}${i.within.includes(':') ? '@' : ':'}${i.within}`;
}

/**
 * Reads each item's manifest (at most `parallel` at once; one source opened
 * per repository) and returns the items whose image is not found, in plan
 * order. Any other failure (auth, network) is thrown: it is not "missing".
 */
export async function findMissing(env: TransportEnv, items: readonly PlanItem[], parallel: number, signal?: AbortSignal): Promise<MissingItem[]> {
  const sources = new Map<string, Promise<ImageSource>>();
  const found: (MissingItem | undefined)[] = new Array<MissingItem | undefined>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const n = next++;
      const item = items[n]!;
      const key = destinationName(item.source, undefined);
      let src = sources.get(key);
      if (src === undefined) {
        src = openSource(env, item.source);
        sources.set(key, src);
      }
      try {
        await (await src).getManifest(item.within, signal);
      } catch (e) {
        if (!(e instanceof ImageNotFoundError)) throw e;
        found[n] = { item, image: label(item), message: e.message };
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, items.length)) }, worker));
  } finally {
    for (const p of sources.values()) await p.then((s) => s.close()).catch(() => undefined);
  }
  return found.filter((m): m is MissingItem => m !== undefined);
}
