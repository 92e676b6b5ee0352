/**
 * The image-set side of sparse platform filtering: the destination probe
 * (../sparse-check.ts) before copying, with its console lines.
 */
import type { MirrorExecutor } from '../executor.js';
import type { PlanItem } from '../plan.js';
import { checkSparseDestinations, SparseDestinationError } from '../sparse-check.js';
import { DestinationCheckError } from './dest-check.js';

/** Probes the destinations of sparse items; throws SparseDestinationError (one line) when one refuses sparse lists. */
export async function sparseCheck(x: MirrorExecutor, items: readonly PlanItem[]): Promise<void> {
  const r = await checkSparseDestinations((host) => x.registries.client(host, 'destination'), items).catch((e: unknown) => {
    throw e instanceof SparseDestinationError ? new DestinationCheckError(e.message) : e;
  });
  if (r.probed === 0) return;
  x.console.message(`info: ${r.probed} destination repositor${r.probed === 1 ? 'y accepts' : 'ies accept'} sparse manifest lists (only the chosen platforms are copied; list digests unchanged)`);
  if (r.leftOver.length > 0) x.console.message(`warning: could not delete the sparse-list probe (an untagged index) in ${r.leftOver.join(', ')}`);
}
