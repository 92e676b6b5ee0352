/**
 * `airlock verify`: for each image the cluster will pull, the pull sources
 * a CRI-O node would try with the registries.conf the cluster resources
 * amount to (registries-conf.ts), each checked for the exact content
 * (image-check.ts). The node settles on the first source whose manifest
 * answers and fetches everything else from it, so:
 * - `mirror`: that source is a mirror and serves the image completely;
 * - `source-only`: no mirror serves it completely but the source does (a
 *   disconnected cluster would fail to pull it);
 * - `missing`: nothing reachable serves it.
 * The "Trying to access" lines are the ones the node would log, in order,
 * up to the source it settles on.
 */
import { openIndexCatalog } from '../../catalog/index-image.js';
import { relatedImages } from '../../catalog/related-images.js';
import { componentsOf } from '../../release/image-references.js';
import { readRelease } from '../../release/payload-reader.js';
import { parseImageName } from '../../reference/image-name.js';
import type { RegistryHub } from '../../transports/registry/registry-hub.js';
import { errorText } from '../../transports/types.js';
import { checkImage, type CheckResult } from './image-check.js';
import { VerifyInputError } from './mirror-rules.js';
import { pullReference, type PullInput } from './pull-inputs.js';
import { pullSources, type RegistryEntry } from './registries-conf.js';
import { mapLimit } from '../../util/map-limit.js';

export type Verdict = 'mirror' | 'source-only' | 'missing';

export interface Attempt {
  readonly reference: string;
  /** The mirror location; undefined for the source. */
  readonly mirror?: string;
  readonly result: CheckResult;
}

export interface ImageVerdict {
  readonly reference: string;
  readonly origin: string;
  readonly verdict: Verdict;
  /** The reference that serves it (mirror or source). */
  readonly servedBy?: string;
  readonly digest?: string;
  /** Why it is not `mirror` (no mirror rule, which mirror lacks what). */
  readonly reason?: string;
  /** `Trying to access "…"` lines a node would log. */
  readonly trying: readonly string[];
  readonly attempts: readonly Attempt[];
}

const answered = (r: CheckResult): boolean => r.ok || r.digest !== undefined;
const tryingLine = (ref: string): string => `Trying to access "${ref}"`;

export async function verifyImage(hub: RegistryHub, entries: readonly RegistryEntry[], input: PullInput, signal?: AbortSignal): Promise<ImageVerdict> {
  const sources = pullSources(input.reference, entries);
  const attempts: Attempt[] = [];
  let chosen = -1;
  for (const s of sources) {
    const result = await checkImage(hub, s.reference, signal);
    attempts.push({ reference: s.reference, ...(s.mirror !== undefined ? { mirror: s.mirror } : {}), result });
    if (answered(result)) {
      chosen = attempts.length - 1;
      break;
    }
  }
  const trying = attempts.slice(0, chosen < 0 ? attempts.length : chosen + 1).map((a) => tryingLine(a.reference));
  const base = { reference: input.reference, origin: input.origin, trying, attempts };
  const pick = chosen >= 0 ? attempts[chosen]! : undefined;
  if (pick?.mirror !== undefined && pick.result.ok) return { ...base, verdict: 'mirror', servedBy: pick.reference, digest: pick.result.digest };
  const mirrorAttempts = attempts.filter((a) => a.mirror !== undefined);
  const why = mirrorAttempts.length === 0
    ? sources.some((s) => s.mirror !== undefined) ? 'no mirror applies' : `no mirror rule covers ${input.reference.includes('@') ? 'this digest reference (no IDMS/ICSP entry)' : 'this tag reference (no ITMS entry)'}`
    : mirrorAttempts.map((a) => `${a.mirror}: ${a.result.ok ? 'complete' : a.result.detail}`).join('; ');
  // The source, checked when the node would not reach it (a mirror answered first) or has not yet.
  let source = attempts.find((a) => a.mirror === undefined);
  const primary = sources.find((s) => s.mirror === undefined);
  if (source === undefined && primary !== undefined) {
    source = { reference: primary.reference, result: await checkImage(hub, primary.reference, signal) };
    attempts.push(source);
  }
  if (source?.result.ok) return { ...base, verdict: 'source-only', servedBy: source.reference, digest: source.result.digest, reason: why };
  const srcWhy = primary === undefined ? 'the source is blocked (NeverContactSource)' : `source: ${source!.result.ok ? '' : source!.result.detail}`;
  return { ...base, verdict: 'missing', reason: `${why}; ${srcWhy}` };
}

/**
 * The release image and its components, read through the pull sources (the
 * first that serves the payload). Throws VerifyInputError when none does.
 */
export async function releaseInputs(hub: RegistryHub, entries: readonly RegistryEntry[], ref: string, signal?: AbortSignal): Promise<PullInput[]> {
  const errors: string[] = [];
  for (const s of pullSources(ref, entries)) {
    const n = parseImageName(s.reference);
    const src = hub.source({ registry: n.registry!, repository: n.repository });
    try {
      const rel = await readRelease(src, n.digest ?? n.tag ?? 'latest', { signal });
      const comps = componentsOf(rel.imageStream).map((c) => ({ reference: `${c.image.registry}/${c.image.repository}@${c.image.digest}`, origin: `release ${ref} component ${c.name}` }));
      return [{ reference: ref, origin: `release ${ref}` }, ...comps];
    } catch (e) {
      errors.push(`${s.reference}: ${errorText(e)}`);
    } finally {
      await src.close().catch(() => undefined);
    }
  }
  throw new VerifyInputError(`cannot read the release ${ref} from any pull source (${errors.join('; ')})`);
}

/**
 * An operator catalog: the index image and every related image of every
 * bundle (unfiltered), the index read through the pull sources. Throws
 * VerifyInputError when no source serves it.
 */
export async function catalogInputs(hub: RegistryHub, entries: readonly RegistryEntry[], ref: string, signal?: AbortSignal): Promise<PullInput[]> {
  const errors: string[] = [];
  for (const s of pullSources(ref, entries)) {
    const n = parseImageName(s.reference);
    const src = hub.source({ registry: n.registry!, repository: n.repository });
    try {
      const index = await openIndexCatalog(src, n.digest ?? n.tag ?? 'latest', s.reference, { signal });
      const images = relatedImages(index.catalog).map((i) => ({ reference: pullReference(i.image, `catalog ${ref}: ${i.neededBy[0]?.bundle ?? ''}`), origin: `catalog ${ref} bundle ${i.neededBy[0]?.bundle ?? '?'}` }));
      return [{ reference: ref, origin: `catalog ${ref}` }, ...images];
    } catch (e) {
      if (e instanceof VerifyInputError) throw e;
      errors.push(`${s.reference}: ${errorText(e)}`);
    } finally {
      await src.close().catch(() => undefined);
    }
  }
  throw new VerifyInputError(`cannot read the catalog ${ref} from any pull source (${errors.join('; ')})`);
}

/** Every input verified, at most `parallel` at once, in input order. */
export async function verifyAll(hub: RegistryHub, entries: readonly RegistryEntry[], inputs: readonly PullInput[], parallel: number, signal?: AbortSignal): Promise<ImageVerdict[]> {
  return mapLimit(inputs, parallel, (input) => verifyImage(hub, entries, input, signal));
}
