/**
 * Opens the operator catalog of an index image, as `oc adm catalog mirror`
 * reads it: the platform is picked with --index-filter-by-os (a regular
 * expression over `os/arch[/variant]`, default linux/amd64; see
 * extract/platform.ts), then the config labels decide the format:
 * `operators.operatorframework.io.index.configs.v1` (FBC directory; wins
 * when both are set), else `…index.database.v1` (SQLite file). Only that
 * path is extracted, into a private 0700 temporary directory that is
 * removed before returning (also on errors). Neither label: a CatalogError.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manifestRefs } from '../oci/manifest-refs.js';
import { platformString } from '../oci/descriptor.js';
import { ExtractError, ExtractUsageError } from '../extract/errors.js';
import { pickImage, platformFilter } from '../extract/platform.js';
import { readEntry } from '../extract/layer-tar.js';
import { verified } from '../transports/verify-stream.js';
import type { ImageSource, RawManifest } from '../transports/types.js';
import { CatalogError } from './errors.js';
import { readFbcDir } from './fbc-read.js';
import { DEFAULT_LIMITS, extractImagePath, type ExtractLimits } from './image-files.js';
import type { Catalog } from './model.js';

export const CONFIGS_LABEL = 'operators.operatorframework.io.index.configs.v1';
export const DATABASE_LABEL = 'operators.operatorframework.io.index.database.v1';
export const DEFAULT_INDEX_PLATFORM = 'linux/amd64';
const CONFIG_LIMIT = 16 << 20;

export interface IndexCatalog {
  readonly format: 'fbc' | 'sqlite';
  /** Path in the image the catalog came from (`/configs`, `/database/index.db`). */
  readonly path: string;
  readonly catalog: Catalog;
  /** Digest the reference resolved to (the index for a multi-platform image). */
  readonly digest: string;
  /** The single-platform image read. */
  readonly image: RawManifest;
  readonly platform: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly warnings: readonly string[];
}

export interface OpenIndexOptions {
  /** --index-filter-by-os (default linux/amd64). */
  readonly platform?: string;
  readonly limits?: ExtractLimits;
  /** Parent of the private temporary directory (default: the OS temp dir). */
  readonly tmpDir?: string;
  readonly signal?: AbortSignal;
}

/** The catalog files of an index image, extracted into a private directory (removed after `use`). */
export interface IndexFiles {
  readonly format: 'fbc' | 'sqlite';
  /** Path in the image (`/configs`, `/database/index.db`). */
  readonly path: string;
  /** The extracted directory: the FBC tree, or the one database file. */
  readonly dir: string;
  readonly digest: string;
  readonly image: RawManifest;
  readonly platform: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly warnings: readonly string[];
}

/**
 * Picks the platform, reads the labels and extracts only the catalog path
 * of `src` at `reference` into a private temporary directory, runs `use` on
 * it and removes it (also on errors). `where` names the index in messages.
 */
export async function withIndexFiles<T>(src: ImageSource, reference: string, where: string, opts: OpenIndexOptions, use: (files: IndexFiles) => Promise<T>): Promise<T> {
  const pattern = opts.platform ?? DEFAULT_INDEX_PLATFORM;
  let picked;
  try {
    picked = await pickImage(src, reference, platformFilter(pattern), opts.signal);
  } catch (e) {
    if (e instanceof ExtractError || e instanceof ExtractUsageError) throw new CatalogError(e.message.replace(/--filter-by-os/g, '--index-filter-by-os'));
    throw e;
  }
  const refs = manifestRefs(picked.image);
  if (refs.kind !== 'image') throw new CatalogError(`${where}: not an image`);
  let config: { os?: string; architecture?: string; variant?: string; config?: { Labels?: Record<string, string> | null } };
  try {
    if (refs.config.size > CONFIG_LIMIT) throw new Error(`${refs.config.size} bytes, more than ${CONFIG_LIMIT}`);
    const bytes = await readEntry(verified(await src.getBlob(refs.config, { signal: opts.signal }), refs.config), CONFIG_LIMIT, `config ${refs.config.digest}`);
    config = JSON.parse(bytes.toString('utf8')) as typeof config;
  } catch (e) {
    throw new CatalogError(`${where}: cannot read the image config: ${(e as Error).message}`);
  }
  const labels = config.config?.Labels ?? {};
  const platform = picked.platform ?? platformString(config.os && config.architecture ? { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) } : undefined);
  const fbcPath = labels[CONFIGS_LABEL];
  const dbPath = labels[DATABASE_LABEL];
  const format = fbcPath ? 'fbc' : dbPath ? 'sqlite' : undefined;
  if (format === undefined) throw new CatalogError(`index image ${where} has no operator catalog: no ${CONFIGS_LABEL} or ${DATABASE_LABEL} label`);
  const path = (format === 'fbc' ? fbcPath : dbPath)!;
  const dir = await mkdtemp(join(opts.tmpDir ?? tmpdir(), 'airlock-catalog-'));
  try {
    const tree = await extractImagePath(src, picked.image, path, dir, opts.limits ?? DEFAULT_LIMITS, opts.signal).catch((e: unknown) => {
      if (e instanceof CatalogError) throw new CatalogError(`${where}: ${e.message}`, { cause: e.cause });
      throw new CatalogError(`${where}: cannot extract ${path}: ${(e as Error).message}`);
    });
    if (!tree.found) throw new CatalogError(`index image ${where}: its ${format === 'fbc' ? CONFIGS_LABEL : DATABASE_LABEL} label names ${path}, which is not in the image`);
    const warnings = fbcPath && dbPath ? [`${where} has both catalog labels; the file-based catalog at ${fbcPath} is used`] : [];
    return await use({ format, path, dir, digest: picked.list?.digest ?? picked.image.digest, image: picked.image, platform, labels, warnings });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The single database file of an extracted SQLite index. */
export async function indexDbFile(f: IndexFiles, where: string): Promise<string> {
  const names = (await readdir(f.dir)).sort();
  if (names.length !== 1) throw new CatalogError(`index image ${where}: ${f.path} is not a single database file`);
  return join(f.dir, names[0]!);
}

/** Reads the catalog of `src` at `reference` (tag or digest). `where` names the index in messages. */
export async function openIndexCatalog(src: ImageSource, reference: string, where: string, opts: OpenIndexOptions = {}): Promise<IndexCatalog> {
  return withIndexFiles(src, reference, where, opts, async (f) => {
    const base = { path: f.path, digest: f.digest, image: f.image, platform: f.platform, labels: f.labels, warnings: f.warnings };
    if (f.format === 'fbc') return { ...base, format: f.format, catalog: await readFbcDir(f.dir, { label: fbcLabel(f.path) }) };
    // Lazy: better-sqlite3 is native; the single-file CLI swaps this module (scripts/bundle.mjs).
    const { readSqliteIndex } = await import('./sqlite-read.js');
    const db = readSqliteIndex(await indexDbFile(f, where), f.path);
    return { ...base, format: f.format, catalog: db.catalog, warnings: [...f.warnings, ...db.warnings, `${where}: ${db.deprecationNotice}`] };
  });
}

/** How messages name files of an FBC extracted from `path` (`/configs/` → `configs`). */
export const fbcLabel = (path: string): string => path.replace(/^\/+|\/+$/g, '');
