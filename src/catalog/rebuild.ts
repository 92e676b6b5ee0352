/**
 * The rebuilt (filtered) catalog image, as oc-mirror v2 makes it (reference
 * §5.5, OCPSTRAT-1515): the filtered FBC as a new image layered on the
 * original index image, pushed under a deterministic tag.
 *
 *   rebuildCatalogImage({ source, manifest, catalog, filter, destination })
 *     → { digest, tag, mediaType, platforms, images }
 *
 * - `source` is the index image's repository and `manifest` its top manifest
 *   as read from it (one image, or an OCI index / Docker manifest list of
 *   images); `catalog` the filtered catalog (filterCatalog(…).catalog);
 *   `filter` the filter that made it (hashed for the tag); `destination`
 *   the repository (registry, `oci:` layout, …) to push to. `tag` overrides
 *   the tag (oc-mirror's targetTag).
 * - For each platform image: its layers are kept byte for byte (copied or
 *   mounted by digest, never recompressed; nothing is copied when the
 *   destination has them), plus ONE new deterministic layer
 *   (rebuild-layer.ts) that replaces the directory named by the
 *   `operators.operatorframework.io.index.configs.v1` label with
 *   fbcFiles(catalog) (opaque whiteout) and whites out the stale opm cache
 *   (/tmp/cache and any `--cache-dir` of the start-up command, which loses
 *   its cache flags so `opm serve` starts without the old cache). The new
 *   config keeps every label and the original `created`; the new manifest
 *   keeps the original's fields (annotations, media types). For an index
 *   or list: a new one of the same media type over the same platforms, each
 *   descriptor's platform and annotations kept; buildx attestation
 *   manifests (`vnd.docker.reference.type: attestation-manifest`) are left
 *   out, as they describe the original images.
 * - Push order: blobs (each verified by the destination while it streams),
 *   then the per-platform manifests by digest, then the top manifest under
 *   the tag, which is read back (resolveManifest) before returning.
 * - The tag is filterTag(filter): md5 of the canonical JSON of the filter
 *   (filter-tag.ts says exactly what is hashed). The images themselves
 *   depend only on the original image and the filtered catalog (not on the
 *   filter's spelling, nor on the destination): the same inputs give the
 *   same bytes, hence the same digests.
 * - A SQLite-only index image (only the `…index.database.v1` label) stays
 *   SQLite: its new layer is the index's own database pruned to the
 *   filtered catalog (rebuild-sqlite.ts, sqlite-prune.ts), at the labelled
 *   path, so the image's own `opm registry serve` keeps serving it.
 */
import { Readable } from 'node:stream';
import { manifestRefs, readManifest } from '../oci/manifest-refs.js';
import { platformString, type Platform } from '../oci/descriptor.js';
import { readEntry } from '../extract/layer-tar.js';
import { digestOf, type Digest } from '../oci/digest.js';
import { MediaType, isIndexMediaType } from '../oci/media-types.js';
import { isValidTag } from '../oci/names.js';
import { buildLayer, type BuiltLayer } from '../release/tar-build.js';
import { errorText, type BlobInfo, type ImageDestination, type ImageSource, type RawManifest } from '../transports/types.js';
import { verified } from '../transports/verify-stream.js';
import { CatalogError } from './errors.js';
import { filterTag } from './filter-tag.js';
import { CONFIGS_LABEL, DATABASE_LABEL } from './index-image.js';
import type { Catalog } from './model.js';
import { prunedDatabaseLayer } from './rebuild-sqlite.js';
import { imageDir, opmCacheFix, rebuildLayerEntries, rebuiltConfig, type ImageConfigDoc } from './rebuild-layer.js';

export interface RebuildInput {
  /** The index image's repository. */
  readonly source: ImageSource;
  /** Its top manifest, as `source.getManifest()` returned it. */
  readonly manifest: RawManifest;
  /** The filtered catalog. */
  readonly catalog: Catalog;
  /** The filter that produced `catalog` (a CatalogFilter or the ISC `operators[]` entry); only hashed. */
  readonly filter: unknown;
  readonly destination: ImageDestination;
  /** Tag to push under instead of filterTag(filter). */
  readonly tag?: string;
  readonly signal?: AbortSignal;
}

export interface RebuiltImage {
  readonly platform: string;
  /** The rebuilt image's manifest digest. */
  readonly digest: Digest;
  /** The original image it is layered on. */
  readonly base: Digest;
}

export interface RebuildResult {
  /** Digest of the pushed top manifest (index/list, or the single image). */
  readonly digest: Digest;
  readonly tag: string;
  readonly mediaType: string;
  readonly platforms: readonly string[];
  readonly images: readonly RebuiltImage[];
  /** The new catalog layer (per distinct layer; one when the platforms agree). */
  readonly layers: readonly { digest: Digest; size: number; diffId: Digest }[];
}

const CONFIG_LIMIT = 16 << 20;
const ATTESTATION = 'attestation-manifest';

type Doc = Record<string, unknown>;
/** The parsed document of a stored manifest (the one model's lenient read), for building a new one from it. */
const parse = (m: RawManifest): Doc => readManifest(m).document as Doc;
const newDoc = (doc: unknown, mediaType: string): RawManifest => {
  const bytes = Buffer.from(JSON.stringify(doc), 'utf8');
  return { bytes, mediaType, digest: digestOf(bytes) };
};

class Rebuild {
  private readonly layers = new Map<string, BuiltLayer>();
  private readonly present = new Set<string>();
  readonly images: RebuiltImage[] = [];

  constructor(
    readonly input: RebuildInput,
    readonly where: string,
  ) {}

  private get signal(): AbortSignal | undefined {
    return this.input.signal;
  }

  /** Gets an original blob into the destination: present → nothing; same store → mount; else a verified stream. */
  private async copyBlob(blob: BlobInfo): Promise<void> {
    const { source: src, destination: dst } = this.input;
    if (this.present.has(blob.digest)) return;
    try {
      if ((await dst.hasBlob(blob, this.signal)) !== 'present') {
        const mounted = dst.caps.crossRepoMount && dst.store === src.store && dst.repository !== src.repository && (await dst.mountBlob(blob, src.repository, this.signal));
        if (!mounted) await dst.putBlob(blob, verified(await src.getBlob(blob, { signal: this.signal }), blob), this.signal);
      }
    } catch (e) {
      throw new CatalogError(`copying layer ${blob.digest} from ${src.description} to ${dst.description}: ${errorText(e)}`, { cause: e });
    }
    this.present.add(blob.digest);
  }

  /** Puts a blob built here (the layer, a config). */
  private async putNew(bytes: Buffer, mediaType: string): Promise<{ digest: Digest; size: number }> {
    const blob = { digest: digestOf(bytes), size: bytes.length, mediaType };
    const dst = this.input.destination;
    if (!this.present.has(blob.digest) && (await dst.hasBlob(blob, this.signal)) !== 'present') await dst.putBlob(blob, Readable.from([bytes]), this.signal);
    this.present.add(blob.digest);
    return { digest: blob.digest, size: blob.size };
  }

  private async readConfig(blob: BlobInfo, what: string): Promise<ImageConfigDoc> {
    try {
      if (blob.size > CONFIG_LIMIT) throw new Error(`${blob.size} bytes, more than ${CONFIG_LIMIT}`);
      const bytes = await readEntry(verified(await this.input.source.getBlob(blob, { signal: this.signal }), blob), CONFIG_LIMIT, `config ${blob.digest}`);
      const doc = JSON.parse(bytes.toString('utf8')) as unknown;
      if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('not a JSON object');
      return doc as ImageConfigDoc;
    } catch (e) {
      throw new CatalogError(`${what}: cannot read the image config: ${errorText(e)}`, { cause: e });
    }
  }

  private async layerFor(dir: string, removed: readonly string[]): Promise<BuiltLayer> {
    const key = JSON.stringify([dir, [...new Set(removed)].sort()]);
    let layer = this.layers.get(key);
    if (layer === undefined) {
      layer = await buildLayer(rebuildLayerEntries(this.input.catalog, dir, removed));
      this.layers.set(key, layer);
    }
    return layer;
  }

  /** The pruned database as a layer, once per distinct original image layers and path. */
  private async databaseLayer(base: RawManifest, dbPath: string, what: string): Promise<BuiltLayer> {
    const refs = manifestRefs(base);
    const key = JSON.stringify(['sqlite', dbPath, refs.kind === 'image' ? refs.layers.map((l) => l.digest) : base.digest]);
    let layer = this.layers.get(key);
    if (layer === undefined) {
      layer = await prunedDatabaseLayer(this.input.source, base, dbPath, this.input.catalog, what, this.signal);
      this.layers.set(key, layer);
    }
    return layer;
  }

  builtLayers(): { digest: Digest; size: number; diffId: Digest }[] {
    return [...this.layers.values()].map((l) => ({ digest: l.digest, size: l.blob.length, diffId: l.diffId }));
  }

  /** One platform image → its rebuilt manifest (pushed by digest when `child`). */
  async image(base: RawManifest, platform: Platform | undefined, child: boolean): Promise<{ manifest: RawManifest; platform: string }> {
    const refs = manifestRefs(base);
    const what = `${this.where}${platform ? ` (${platformString(platform)})` : ''}`;
    if (refs.kind !== 'image') throw new CatalogError(`${what}: manifest ${base.digest} is not an image`);
    const config = await this.readConfig(refs.config, what);
    const name = platformString(platform ?? (config.os && config.architecture ? { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) } : undefined));
    const labels = config.config?.Labels ?? {};
    const configs = labels[CONFIGS_LABEL];
    const database = labels[DATABASE_LABEL];
    let layer: BuiltLayer;
    let comment: string;
    if (configs) {
      const dir = imageDir(configs, `${what}: the ${CONFIGS_LABEL} label`);
      const { removed } = opmCacheFix(config);
      layer = await this.layerFor(dir, removed);
      comment = `airlock: filtered catalog in /${dir}; opm cache ${[...new Set(removed)].sort().map((r) => `/${r}`).join(', ')} removed`;
    } else if (database) {
      layer = await this.databaseLayer(base, database, what);
      comment = `airlock: filtered SQLite catalog in ${database}`;
    } else {
      throw new CatalogError(`index image ${what} has no operator catalog: no ${CONFIGS_LABEL} or ${DATABASE_LABEL} label`);
    }
    const newConfig = rebuiltConfig(config, layer.diffId, comment);

    for (const l of refs.layers) await this.copyBlob(l);
    const docker = base.mediaType === MediaType.DockerManifest;
    const doc = parse(base);
    const cfgDesc = doc.config as Doc;
    const cfgType = typeof cfgDesc.mediaType === 'string' ? cfgDesc.mediaType : docker ? MediaType.DockerConfig : MediaType.OciConfig;
    const layerType = docker ? MediaType.DockerLayerGzip : MediaType.OciLayerGzip;
    const lay = await this.putNew(layer.blob, layerType);
    const cfg = await this.putNew(Buffer.from(JSON.stringify(newConfig), 'utf8'), cfgType);
    const manifest = newDoc({ ...doc, config: { ...cfgDesc, mediaType: cfgType, ...cfg }, layers: [...(doc.layers as unknown[]), { mediaType: layerType, ...lay }] }, base.mediaType);
    if (child) await this.input.destination.putManifest(manifest, { child: true }, this.signal);
    this.images.push({ platform: name, digest: manifest.digest, base: base.digest });
    return { manifest, platform: name };
  }

  /** An index/list → the new one over the rebuilt children (pushed first). */
  async index(top: RawManifest): Promise<{ manifest: RawManifest; platforms: string[] }> {
    const refs = manifestRefs(top);
    if (refs.kind !== 'index') throw new Error('unreachable');
    const doc = parse(top);
    const raw = doc.manifests as Doc[];
    const descs: Doc[] = [];
    const platforms: string[] = [];
    for (const [i, c] of refs.children.entries()) {
      const rawDesc = raw[i]!;
      const ann = rawDesc.annotations as Record<string, unknown> | undefined;
      if (ann?.['vnd.docker.reference.type'] === ATTESTATION) continue;
      if (isIndexMediaType(c.mediaType)) throw new CatalogError(`${this.where}: ${c.digest} is an index inside an index, which a rebuilt catalog does not support`);
      const got = await this.input.source.getManifest(c.digest, this.signal);
      if (got.digest !== c.digest) throw new CatalogError(`${this.where}: ${c.digest} resolved to ${got.digest}`);
      const m = { ...got, mediaType: c.mediaType || got.mediaType };
      const r = await this.image(m, c.platform, true);
      descs.push({ ...rawDesc, mediaType: r.manifest.mediaType, digest: r.manifest.digest, size: r.manifest.bytes.length });
      platforms.push(r.platform);
    }
    if (descs.length === 0) throw new CatalogError(`${this.where}: the index lists no image to rebuild`);
    return { manifest: newDoc({ ...doc, manifests: descs }, top.mediaType), platforms };
  }
}

/** Builds and pushes the rebuilt catalog image (see the header). */
export async function rebuildCatalogImage(input: RebuildInput): Promise<RebuildResult> {
  const tag = input.tag ?? filterTag(input.filter);
  if (!isValidTag(tag)) throw new CatalogError(`${JSON.stringify(tag)} is not a valid tag for the rebuilt catalog`);
  const where = `${input.source.description}@${input.manifest.digest}`;
  const r = new Rebuild(input, where);
  const refs = manifestRefs(input.manifest);
  let top: RawManifest;
  let platforms: string[];
  if (refs.kind === 'index') ({ manifest: top, platforms } = await r.index(input.manifest));
  else {
    const one = await r.image(input.manifest, undefined, false);
    top = one.manifest;
    platforms = [one.platform];
  }
  const dst = input.destination;
  await dst.putManifest(top, { tag }, input.signal);
  const now = await dst.resolveManifest(tag, input.signal);
  if (now !== top.digest) throw new CatalogError(`${dst.description}:${tag}: pushed ${top.digest} but the tag resolves to ${now ?? 'nothing'}`);
  return { digest: top.digest, tag, mediaType: top.mediaType, platforms, images: r.images, layers: r.builtLayers() };
}
