/**
 * `image extract`: reads one image (a registry, an OCI layout or oc's disk
 * store, through the transport seam), picks its platform, and walks its
 * layers from the top-most down (image-walk.ts), putting every visible entry that a target
 * selects into that target's staging directory. Each layer is verified
 * against its digest while it streams; only when every layer read has
 * verified, every hard link found its file and no target has a conflict are
 * the staged entries moved into place. On any error all staging directories
 * are removed, so the target directories are as they were.
 *
 * Memory: entries stream to disk; what is kept is one small record per
 * visible path (to decide which layer wins) and the links still waiting.
 * For targets that each name one path without a glob, the walk stops at the
 * first layer below which nothing can change them.
 */
import { manifestRefs } from '../oci/manifest-refs.js';
import type { ImageReference } from '../transports/all.js';
import { openSource, referenceWithin, type TransportEnv } from '../transports/open.js';
import type { Digest } from '../oci/digest.js';
import { EntryWriter, type ExtractedEntry } from './entry-writer.js';
import { ExtractError, ExtractUsageError } from './errors.js';
import { LayerStack } from './layer-stack.js';
import { walkImage } from './image-walk.js';
import { UnsafeTarEntryError } from './layer-tar.js';
import { pickImage, type PlatformFilter } from './platform.js';
import { DryRunSink, type ExtractSink } from './sink.js';
import { StagingTree } from './staging.js';
import type { ExtractTarget } from './targets.js';

export type { ExtractedEntry } from './entry-writer.js';

export interface ExtractOptions {
  readonly env: TransportEnv;
  readonly ref: ImageReference;
  readonly targets: readonly ExtractTarget[];
  readonly filter?: PlatformFilter;
  readonly onlyFiles?: boolean;
  readonly preserveOwnership?: boolean;
  /** Walk and check everything, write nothing. */
  readonly dryRun?: boolean;
  readonly warn: (message: string) => void;
  /** Called for each entry written (or that would be, with dryRun), top-most layer first. */
  readonly onEntry?: (e: ExtractedEntry) => void;
  readonly signal?: AbortSignal;
}

export interface TargetSummary {
  readonly arg: string;
  readonly to: string;
  readonly entries: number;
  readonly bytes: number;
}

export interface ExtractSummary {
  /** The image manifest the entries came from. */
  readonly digest: Digest;
  /** The manifest list it was picked from, if the reference named one. */
  readonly listDigest?: Digest;
  readonly platform?: string;
  readonly layers: number;
  /** Layers read (fewer when a single-path selection was settled early). */
  readonly layersRead: number;
  readonly targets: readonly TargetSummary[];
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export async function extractImage(o: ExtractOptions): Promise<ExtractSummary> {
  const within = referenceWithin(o.ref);
  if (within === undefined) throw new ExtractUsageError('the image reference needs a tag or a digest');
  if (o.targets.length === 0) throw new ExtractUsageError('nothing to extract: give --path SRC:DST or --file SRC');
  const root = isRoot();
  if (o.preserveOwnership && !root) o.warn('--preserve-ownership: not running as root, so file owners are not kept (modes are)');
  const src = await openSource(o.env, o.ref);
  try {
    const picked = await pickImage(src, within, o.filter, o.signal);
    const refs = manifestRefs(picked.image);
    if (refs.kind !== 'image') throw new ExtractError(`${src.description}@${picked.image.digest} is not an image`);
    if (refs.foreignLayers > 0) o.warn(`${refs.foreignLayers} foreign layer(s) of ${picked.image.digest} are not extracted (they live outside the registry)`);
    const sinks: ExtractSink[] = [];
    try {
      for (const t of o.targets) sinks.push(o.dryRun ? new DryRunSink(t.to) : await StagingTree.create(t.to));
      const writer = new EntryWriter(o.targets, sinks, { onlyFiles: o.onlyFiles ?? false, preserveOwnership: o.preserveOwnership ?? false, root, warn: o.warn, onEntry: o.onEntry });
      const stack = new LayerStack();
      const literals = o.targets.map((t) => t.selector.literal);
      const { layersRead } = await walkImage(src, refs.layers, {
        view: stack,
        visit: (entry, body, at) => writer.entry(entry, at, body, stack),
        stopAfterLayer: () => writer.waiting === 0 && literals.every((l) => l !== undefined && stack.settled(l)),
        signal: o.signal,
      });
      const unresolved = writer.unresolved();
      if (unresolved.length > 0) throw new UnsafeTarEntryError(unresolved.join('\n'));
      for (let t = 0; t < o.targets.length; t++) {
        if (writer.counts[t]!.entries > 0) continue;
        const lit = literals[t];
        if (lit !== undefined && stack.winner(lit) === undefined) {
          const link = stack.linkAbove(lit);
          const hint = link !== undefined ? ` (/${link} is a symbolic link in the image: name the path it points to)` : '';
          throw new ExtractError(`${o.targets[t]!.arg}: /${lit} was not found in the image${hint}`);
        }
        o.warn(`${o.targets[t]!.arg}: nothing in the image matched${o.onlyFiles ? ' (links are left out by --only-files)' : ''}`);
      }
      const conflicts = (await Promise.all(sinks.map((s) => s.conflicts()))).flat();
      if (conflicts.length > 0) throw new ExtractError(`nothing was extracted:\n  ${conflicts.join('\n  ')}`);
      for (const s of sinks) await s.commit();
      return {
        digest: picked.image.digest,
        ...(picked.list ? { listDigest: picked.list.digest } : {}),
        ...(picked.platform ? { platform: picked.platform } : {}),
        layers: refs.layers.length,
        layersRead,
        targets: o.targets.map((t, i) => ({ arg: t.arg, to: t.to, ...writer.counts[i]! })),
      };
    } catch (e) {
      await Promise.all(sinks.map((s) => s.discard().catch(() => undefined)));
      throw e;
    }
  } finally {
    await src.close();
  }
}
