/**
 * What the JSON API shows of tags and manifests: digests, media types,
 * platforms, sizes, push times and referrers, read from the metadata store
 * and the stored manifest bytes (parsed, never re-serialized). An image's
 * platform comes from its config blob (read when at most CONFIG_MAX_BYTES),
 * and so does `catalog`: the config carries OLM's file-based catalog label
 * (an index: the config of its linux/amd64 image, else of its first).
 */
import { platformString, type Descriptor as OciDescriptor } from '../oci/descriptor.js';
import { parseManifest } from '../oci/manifest.js';
import type { ManifestInfo, ReferrerDescriptor, TagDetail } from '../metadata/store.js';
import { RegistryError } from './errors.js';
import type { RegistryService } from './registry-service.js';
import { assertDigest, assertName } from './validate.js';

const CONFIG_MAX_BYTES = 1024 * 1024;
/** The label OLM reads to find a file-based catalog in an index image (as catalog/index-image.ts). */
export const FBC_LABEL = 'operators.operatorframework.io.index.configs.v1';

export interface Descriptor {
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  readonly platform?: string;
  readonly artifactType?: string;
}

export interface TagView extends Omit<TagDetail, 'tag'> {
  readonly name: string;
  /** `os/arch[/variant]` of an image, or of each entry of an index. */
  readonly platforms: string[];
  /** Manifest plus config and layers (an image), or the manifest alone (an index). */
  readonly totalSize: number;
  readonly referrers: number;
  /** An operator catalog image (the FBC label in its config): the console links its catalog view. */
  readonly catalog: boolean;
}

/** A manifest's stored facts (ManifestInfo) and what the views derive from its bytes. */
export interface ManifestView extends ManifestInfo {
  readonly platforms: string[];
  readonly totalSize: number;
  readonly config?: Descriptor;
  readonly layers?: Descriptor[];
  /** Index entries. */
  readonly manifests?: Descriptor[];
  readonly referrers: ReferrerDescriptor[];
  readonly catalog: boolean;
}

interface Parsed {
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
}

/** What the views take from a config blob. */
interface ConfigFacts {
  readonly platform?: string;
  readonly catalog: boolean;
}

function configFacts(json: unknown): ConfigFacts {
  if (typeof json !== 'object' || json === null) return { catalog: false };
  const { os, architecture, variant, config } = json as Record<string, unknown>;
  const labels = typeof config === 'object' && config !== null ? (config as { Labels?: unknown }).Labels : undefined;
  const label = typeof labels === 'object' && labels !== null ? (labels as Record<string, unknown>)[FBC_LABEL] : undefined;
  const catalog = typeof label === 'string' && label !== '';
  if (typeof os !== 'string' || typeof architecture !== 'string') return { catalog };
  return { platform: [os, architecture, ...(typeof variant === 'string' && variant ? [variant] : [])].join('/'), catalog };
}

function view(d: OciDescriptor): Descriptor {
  return {
    digest: d.digest,
    mediaType: d.mediaType,
    size: d.size,
    ...(d.platform ? { platform: platformString(d.platform) } : {}),
    ...(d.artifactType !== undefined ? { artifactType: d.artifactType } : {}),
  };
}

/** The parts of stored manifest bytes (validated on push) that the views show, through the one oci/ model. */
function parse(content: Buffer, mediaType: string): Parsed {
  let m;
  try {
    m = parseManifest(content, mediaType, 'lenient');
  } catch {
    return {};
  }
  if (m.kind === 'index') return { manifests: m.manifests.map(view) };
  return { config: view(m.config), layers: m.layers.map(view) };
}

/** Config digests → their facts: content-addressed, so an entry never goes stale. */
const CONFIG_CACHE_MAX = 10_000;

export class ManifestViews {
  private readonly factsOf = new Map<string, ConfigFacts>();

  constructor(private readonly service: RegistryService) {}

  private get meta() {
    return this.service.meta;
  }

  /** Tags after `cursor` with their manifests; NAME_UNKNOWN for a repository that does not exist. */
  async tags(repo: string, o: { cursor?: string | undefined; limit: number }): Promise<{ items: TagView[]; next?: string }> {
    assertName(repo);
    const rows = await this.meta.listTagDetails(repo, { n: o.limit + 1, ...(o.cursor ? { last: o.cursor } : {}) });
    if (rows === undefined) throw new RegistryError('NAME_UNKNOWN', 'repository name not known to registry', { name: repo });
    const items: TagView[] = [];
    // Tags often share a manifest (a release's components, moving tags): each digest is read once per page.
    const seen = new Map<string, { parsed: Parsed; platforms: string[]; referrers: number; catalog: boolean }>();
    for (const r of rows.slice(0, o.limit)) {
      let d = seen.get(r.digest);
      if (!d) {
        const rec = await this.meta.getManifestByDigest(repo, r.digest);
        const parsed = rec ? parse(rec.content, rec.mediaType) : {};
        d = { parsed, platforms: await this.platforms(repo, parsed), referrers: (await this.meta.referrers(repo, r.digest)).length, catalog: await this.isCatalog(repo, parsed) };
        seen.set(r.digest, d);
      }
      const { tag, ...rest } = r;
      items.push({ name: tag, ...rest, platforms: d.platforms, totalSize: totalSize(r.size, d.parsed), referrers: d.referrers, catalog: d.catalog });
    }
    return rows.length > o.limit ? { items, next: items[items.length - 1]!.name } : { items };
  }

  async manifest(repo: string, digest: string): Promise<ManifestView> {
    assertName(repo);
    const d = assertDigest(digest);
    const info = await this.meta.manifestInfo(repo, d);
    const rec = info && (await this.meta.getManifestByDigest(repo, d));
    if (!info || !rec) {
      if (!(await this.meta.repositoryExists(repo))) throw new RegistryError('NAME_UNKNOWN', 'repository name not known to registry', { name: repo });
      throw new RegistryError('MANIFEST_UNKNOWN', 'manifest unknown', { digest: d });
    }
    const parsed = parse(rec.content, rec.mediaType);
    return {
      ...info,
      platforms: await this.platforms(repo, parsed),
      totalSize: totalSize(info.size, parsed),
      ...parsed,
      referrers: await this.meta.referrers(repo, d),
      catalog: await this.isCatalog(repo, parsed),
    };
  }

  private async platforms(repo: string, p: Parsed): Promise<string[]> {
    if (p.manifests) return [...new Set(p.manifests.flatMap((m) => (m.platform ? [m.platform] : [])))];
    const platform = p.config && (await this.configOf(repo, p.config))?.platform;
    return platform ? [platform] : [];
  }

  /** The FBC label on the image's config; an index: on its linux/amd64 image's, else its first image's. */
  private async isCatalog(repo: string, p: Parsed): Promise<boolean> {
    if (p.config) return (await this.configOf(repo, p.config))?.catalog ?? false;
    const entries = (p.manifests ?? []).filter((m) => m.platform !== undefined && !m.platform.startsWith('unknown/'));
    const child = entries.find((m) => m.platform === 'linux/amd64') ?? entries[0];
    const rec = child && (await this.meta.getManifestByDigest(repo, assertDigest(child.digest)));
    const config = rec ? parse(rec.content, rec.mediaType).config : undefined;
    return config ? ((await this.configOf(repo, config))?.catalog ?? false) : false;
  }

  private async configOf(repo: string, config: Descriptor): Promise<ConfigFacts | undefined> {
    if (config.size > CONFIG_MAX_BYTES) return undefined;
    const known = this.factsOf.get(config.digest);
    if (known !== undefined) return known;
    const json = await this.readJson(repo, config.digest);
    // An absent config (sparse repository) is not remembered: it may be pushed later.
    if (json === undefined) return undefined;
    const facts = configFacts(json);
    if (this.factsOf.size >= CONFIG_CACHE_MAX) this.factsOf.delete(this.factsOf.keys().next().value!);
    this.factsOf.set(config.digest, facts);
    return facts;
  }

  /** A small blob parsed as JSON; undefined when absent (sparse repositories) or not JSON. */
  private async readJson(repo: string, digest: string): Promise<unknown> {
    try {
      const stat = await this.service.statBlob(repo, digest);
      const { stream } = await this.service.readBlob(stat);
      const chunks: Buffer[] = [];
      for await (const c of stream!) chunks.push(c as Buffer);
      return JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return undefined;
    }
  }
}

function totalSize(manifestSize: number, p: Parsed): number {
  if (!p.config) return manifestSize;
  return manifestSize + p.config.size + (p.layers ?? []).reduce((a, l) => a + l.size, 0);
}
