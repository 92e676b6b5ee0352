/**
 * d2m of an incremental archive set: the images m2d left out because the
 * far side already had their manifest (the index's onDestination, written
 * from the history or an inventory). Before anything is pushed, every such
 * manifest is checked at the destination with one HEAD by digest (in
 * parallel); one missing fails the run in one line naming it and what to
 * do. Afterwards, tags the set moves onto a manifest already there
 * (`retag`) are written with that manifest's own bytes, read back from the
 * destination by digest: two requests, no archive member. The other copies
 * go through the engine, straight from the tars.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '../../oci/digest.js';
import type { DockerReference } from '../../transports/all.js';
import type { ArchiveIndex } from '../../transports/archive/format.js';
import type { RegistryHub } from '../../transports/registry/registry-hub.js';
import { RegistrySource } from '../../transports/registry/registry-image.js';
import type { D2mCopy } from './archive-plan.js';
import { mapLimit } from '../../util/map-limit.js';
import { DestinationCheckError } from './dest-check.js';

/** A copy whose top manifest the set left out: it is at the destination already. */
export interface ThereCopy {
  readonly copy: D2mCopy;
  /** Repository at the destination (below the host). */
  readonly repository: string;
  readonly digest: Digest;
  readonly tag?: string;
  /** The tag is new there: d2m writes it onto the manifest. */
  readonly retag: boolean;
}

export interface SplitCopies {
  /** Copies the engine makes from the tars. */
  readonly engine: D2mCopy[];
  readonly there: ThereCopy[];
}

/** Splits the plan's copies into those the set carries and those it left out (onDestination). */
export function splitCopies(index: ArchiveIndex, copies: readonly D2mCopy[]): SplitCopies {
  const engine: D2mCopy[] = [];
  const there: ThereCopy[] = [];
  for (const k of copies) {
    const path = (k.item.source as { repository: string }).repository;
    const w = k.item.within;
    const r = index.repositories[path];
    const o = index.onDestination?.[path];
    const inSet = r !== undefined && (Object.hasOwn(r.tags, w) || r.manifests.includes(w as Digest));
    const target = k.item.targets[0]!;
    const repository = (target.ref as DockerReference).name.repository;
    const tag = target.tag;
    if (inSet || o === undefined) engine.push(k);
    else if (Object.hasOwn(o.tags, w)) there.push({ copy: k, repository, digest: o.tags[w]!, tag, retag: false });
    else if (Object.hasOwn(o.retag, w)) there.push({ copy: k, repository, digest: o.retag[w]!, tag, retag: true });
    else if (o.manifests.includes(w as Digest)) there.push({ copy: k, repository, digest: w as Digest, tag, retag: tag !== undefined });
    else engine.push(k);
  }
  return { engine, there };
}

/** One HEAD by digest per left-out manifest; throws one line naming the missing ones when any is absent. */
export async function checkThere(hub: RegistryHub, host: string, there: readonly ThereCopy[], flag: string, parallel: number, signal?: AbortSignal): Promise<void> {
  const pairs = [...new Map(there.map((t) => [`${t.repository}@${t.digest}`, t])).values()];
  if (pairs.length === 0) return;
  hub.declareScopes(host, [...new Set(pairs.map((p) => p.repository))].map((repository) => ({ repository, actions: ['pull', 'push'] })));
  const missing: string[] = [];
  await mapLimit(pairs, parallel, async (p) => {
    const d = await hub.destination({ registry: host, repository: p.repository }).resolveManifest(p.digest, signal);
    if (d !== p.digest) missing.push(`${host}/${p.repository}@${p.digest}`);
  });
  if (missing.length === 0) return;
  missing.sort();
  throw new DestinationCheckError(
    `${flag} lacks ${missing.length} of the ${pairs.length} manifest(s) this archive set left out as already delivered (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}); nothing was pushed. ` +
      'The m2d run packed against a history or inventory this registry does not match: re-run m2d with --since-inventory of this registry (airlock inventory export), or with --since before the last set pushed here (or without working-dir/.history), and push that set',
  );
}

/** Writes each new tag onto its manifest at the destination (its bytes read back by digest). Returns the failures. */
export async function writeRetags(hub: RegistryHub, host: string, there: readonly ThereCopy[], parallel: number, signal?: AbortSignal): Promise<{ copy: ThereCopy; message: string }[]> {
  const errors: { copy: ThereCopy; message: string }[] = [];
  await mapLimit(there.filter((t) => t.retag && t.tag !== undefined), parallel, async (t) => {
    try {
      // Read with the destination's connection settings (its TLS flags and credentials).
      const m = await new RegistrySource(hub.client(host, 'destination'), t.repository).getManifest(t.digest, signal);
      await hub.destination({ registry: host, repository: t.repository }).putManifest(m, { tag: t.tag }, signal);
    } catch (e) {
      errors.push({ copy: t, message: `tagging ${host}/${t.repository}@${t.digest} as ${t.tag}: ${(e as Error).message.split('\n')[0]}` });
    }
  });
  return errors;
}

/**
 * The blobs an archive set carries, as absent from the destination during
 * the FIRST d2m of that set: the m2d run packed them because its history or
 * inventory said the far side lacks them, so d2m uploads them without a HEAD
 * each. A marker in working-dir/.d2m/ (written before the first push) makes
 * every later d2m of the same set, into any destination or under any other
 * name of it (a re-run after a kill -9, a repeat, a second mirror), ask
 * first again, so finished blobs are never sent twice.
 */
export class CarriedBlobs {
  private on = false;
  private readonly digests: ReadonlySet<string>;
  constructor(private readonly index: ArchiveIndex, private readonly store: string) {
    this.digests = new Set(Object.keys(index.blobs).filter((d) => index.manifests[d] === undefined));
  }

  /** For the copy engine (ExecutorOptions.knownAbsent). */
  readonly absent = (store: string, digest: string): boolean => this.on && store === this.store && this.digests.has(digest);

  /** Writes the marker; turns the HEAD skipping on when there was none (true: first push). */
  async claim(work: string, dest: string): Promise<boolean> {
    const dir = join(work, '.d2m');
    await mkdir(dir, { recursive: true });
    const name = `pushed-${this.index.set}`;
    try {
      await writeFile(join(dir, name), `${dest}\n`, { flag: 'wx', mode: 0o644 });
      this.on = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    return this.on;
  }
}
