/**
 * The one new layer of a rebuilt catalog image and the config that goes
 * with it.
 *
 * Layer (deterministic: tar-build.ts, uid/gid 0, mtime 0, fixed order):
 *   `<configs>/`                  the directory named by the configs label
 *   `<configs>/.wh..wh..opq`      opaque whiteout: nothing of the original
 *                                 catalog shows through
 *   `<configs>/<pkg>/catalog.json` fbcFiles(catalog), with their directories
 *   `<parent>/.wh.<name>`         one per opm cache directory removed
 *                                 (`tmp/.wh.cache` for /tmp/cache)
 * No entry is written for the parents of these paths, so the layer never
 * changes the mode of `/tmp` (1777) or of any other existing directory.
 *
 * Config: the original, with every label kept, `rootfs.diff_ids` extended
 * by the new layer, a history entry appended and `created` unchanged (so the
 * same inputs give the same bytes). One more change is needed for the image
 * to start: `opm serve … --cache-dir=DIR` with DIR missing fails its cache
 * integrity check (`--cache-enforce-integrity` defaults to true when
 * `--cache-dir` is set), the CrashLoopBackOff of rebuilt catalogs. So
 * `--cache-dir` (both `--cache-dir=DIR` and `--cache-dir DIR`) and any
 * `--cache-enforce-integrity[=…]` are dropped from Entrypoint and Cmd: opm
 * then builds its cache in a temporary directory at start-up, which every
 * opm version accepts. Every such DIR is also whited out.
 */
import { posix } from 'node:path';
import type { TarInput } from '../release/tar-build.js';
import { CatalogError } from './errors.js';
import { fbcFiles } from './fbc-write.js';
import type { Catalog } from './model.js';

/** The stale cache `opm serve --cache-dir=/tmp/cache` images ship. */
export const DEFAULT_OPM_CACHE = '/tmp/cache';
export const OPAQUE = '.wh..wh..opq';

/** `/configs/` → `configs`; refuses the root, `.`/`..` segments and empty segments. */
export function imageDir(path: string, what: string): string {
  const rel = path.replace(/^\/+|\/+$/g, '');
  if (rel === '' || rel.split('/').some((s) => s === '' || s === '.' || s === '..')) throw new CatalogError(`${what} ${JSON.stringify(path)} is not a directory a rebuilt catalog can replace`);
  return rel;
}

const under = (path: string, dir: string): boolean => path === dir || path.startsWith(`${dir}/`);

/** The tar entries of the new layer (see the header); `removed` are image-relative directories (`tmp/cache`). */
export function rebuildLayerEntries(catalog: Catalog, configsDir: string, removed: readonly string[]): TarInput[] {
  const entries: TarInput[] = [{ path: `${configsDir}/`, type: 'directory', mode: 0o755 }, { path: `${configsDir}/${OPAQUE}` }];
  const dirs = new Set<string>();
  for (const [rel, text] of fbcFiles(catalog)) {
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!dirs.has(d)) {
        dirs.add(d);
        entries.push({ path: `${configsDir}/${d}/`, type: 'directory', mode: 0o755 });
      }
    }
    entries.push({ path: `${configsDir}/${rel}`, data: text, mode: 0o644 });
  }
  for (const r of [...new Set(removed)].sort()) {
    if (under(r, configsDir) || under(configsDir, r)) continue;
    const slash = r.lastIndexOf('/');
    entries.push({ path: slash < 0 ? `.wh.${r}` : `${r.slice(0, slash)}/.wh.${r.slice(slash + 1)}` });
  }
  return entries;
}

/** The parts of an image config this code reads or changes (everything else is kept as is). */
export interface ImageConfigDoc {
  created?: string;
  os?: string;
  architecture?: string;
  variant?: string;
  config?: { Labels?: Record<string, string> | null; Entrypoint?: string[] | null; Cmd?: string[] | null; WorkingDir?: string; [k: string]: unknown } | null;
  rootfs?: { type?: string; diff_ids?: string[] };
  history?: unknown[];
  [k: string]: unknown;
}

/** Entrypoint/Cmd without the cache flags, and the cache directories they named (image-relative). */
export function withoutOpmCache(args: readonly string[] | null | undefined, workDir: string): { args: string[] | null | undefined; dirs: string[]; changed: boolean } {
  if (args === null || args === undefined || !Array.isArray(args as unknown)) return { args: args as string[] | null | undefined, dirs: [], changed: false };
  const out: string[] = [];
  const dirs: string[] = [];
  const dir = (v: string): void => {
    const abs = posix.resolve('/', workDir || '/', v);
    if (abs !== '/') dirs.push(abs.slice(1));
  };
  let changed = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('--cache-dir=')) {
      dir(a.slice('--cache-dir='.length));
      changed = true;
    } else if (a === '--cache-dir' && i + 1 < args.length) {
      dir(args[++i]!);
      changed = true;
    } else if (a === '--cache-enforce-integrity' || a.startsWith('--cache-enforce-integrity=')) changed = true;
    else out.push(a);
  }
  return { args: changed ? out : [...args], dirs, changed };
}

/** The cache directories to remove and the start-up command without them (see the header). */
export function opmCacheFix(config: ImageConfigDoc): { removed: string[]; entrypoint: ReturnType<typeof withoutOpmCache>; cmd: ReturnType<typeof withoutOpmCache> } {
  const workDir = config.config?.WorkingDir ?? '/';
  const entrypoint = withoutOpmCache(config.config?.Entrypoint, workDir);
  const cmd = withoutOpmCache(config.config?.Cmd, workDir);
  return { removed: [DEFAULT_OPM_CACHE.slice(1), ...entrypoint.dirs, ...cmd.dirs], entrypoint, cmd };
}

/** The new config document: labels kept, start-up command fixed, the layer appended to rootfs and history. */
export function rebuiltConfig(config: ImageConfigDoc, diffId: string, comment: string): ImageConfigDoc {
  const fix = opmCacheFix(config);
  const inner = config.config ?? {};
  const config2 =
    fix.entrypoint.changed || fix.cmd.changed
      ? { ...inner, ...(fix.entrypoint.changed ? { Entrypoint: fix.entrypoint.args } : {}), ...(fix.cmd.changed ? { Cmd: fix.cmd.args } : {}) }
      : inner;
  const entry = { ...(config.created !== undefined ? { created: config.created } : {}), created_by: 'airlock catalog rebuild', comment };
  return {
    ...config,
    ...(config.config !== undefined ? { config: config2 } : {}),
    rootfs: { ...(config.rootfs ?? {}), type: config.rootfs?.type ?? 'layers', diff_ids: [...(config.rootfs?.diff_ids ?? []), diffId] },
    history: [...(Array.isArray(config.history) ? config.history : []), entry],
  };
}
