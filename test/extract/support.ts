/**
 * Images for the `image extract` tests: layers built from raw tar entries
 * (any name, any type: hostile ones included), pushed to a loopback registry
 * or written into an OCI layout, plus CLI runs and directory listings.
 */
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Header } from 'tar-stream';
import { buildLayer, type BuiltLayer } from '../../src/release/tar-build.js';
import { FileDestination } from '../../src/transports/file-store/file-image.js';
import { OciLayout } from '../../src/transports/oci-layout/layout.js';
import { OciLayoutDestination } from '../../src/transports/oci-layout/layout-image.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import type { ImageDestination, RawManifest } from '../../src/transports/types.js';
import { runAirlockCli, type CliResult } from '../helpers/airlock-process.js';
import { pushImage, pushIndex } from '../fixtures/release-fixture-images.js';

export interface RawEntry {
  readonly name: string;
  readonly type?: Header['type'];
  readonly data?: string | Buffer;
  readonly mode?: number;
  readonly linkname?: string;
  readonly uid?: number;
  readonly gid?: number;
}

const FIXED_MTIME = new Date(1_700_000_000_000);

/** A gzip tar layer holding exactly `entries`, names written as given (no normalization). */
export function rawLayer(entries: readonly RawEntry[]): Promise<BuiltLayer> {
  return buildLayer(entries.map((e) => ({ ...e, path: e.name, type: e.type ?? (e.name.endsWith('/') ? 'directory' : 'file'), mtime: FIXED_MTIME })));
}

const CONFIG = { architecture: 'amd64', os: 'linux', config: {} };

/** Pushes an image of `layers` (bottom first) to host/repo:tag; returns its manifest. */
export async function pushLayers(registry: string, repository: string, tag: string, layers: readonly BuiltLayer[]): Promise<RawManifest> {
  return withDestination(registry, repository, async (dst) => {
    const m = await pushImage(dst, layers, CONFIG);
    await dst.putManifest(m, { tag });
    return m;
  });
}

/** Pushes one single-layer image per architecture and an index over them, tagged `tag`. */
export async function pushMultiArch(registry: string, repository: string, tag: string, perArch: Record<string, readonly BuiltLayer[]>): Promise<RawManifest> {
  return withDestination(registry, repository, async (dst) => {
    const children = [];
    for (const [arch, layers] of Object.entries(perArch)) children.push({ m: await pushImage(dst, layers, { ...CONFIG, architecture: arch }), arch });
    return pushIndex(dst, children, tag);
  });
}

async function withDestination<T>(registry: string, repository: string, fn: (dst: ImageDestination) => Promise<T>): Promise<T> {
  const hub = new RegistryHub({ insecure: () => true });
  try {
    return await fn(hub.destination({ registry, repository }));
  } finally {
    await hub.close();
  }
}

/** Writes an image of `layers` into an OCI layout at `dir` under ref name `ref`. */
export async function layoutImage(dir: string, ref: string, layers: readonly BuiltLayer[]): Promise<RawManifest> {
  const dst = new OciLayoutDestination(await OciLayout.open(dir, { create: true }));
  const m = await pushImage(dst, layers, CONFIG);
  await dst.putManifest(m, { tag: ref });
  await dst.commit();
  return m;
}

/** Writes an image of `layers` into oc's file:// store under `root` as `repository:tag`. */
export async function fileStoreImage(root: string, repository: string, tag: string, layers: readonly BuiltLayer[]): Promise<RawManifest> {
  const dst = new FileDestination(root, repository);
  const m = await pushImage(dst, layers, CONFIG);
  await dst.putManifest(m, { tag });
  return m;
}

/** Runs the CLI in `cwd` with HOME=`cwd` (no ambient credentials). */
export function airlock(args: readonly string[], cwd: string): Promise<CliResult> {
  return runAirlockCli(args, { cwd, env: { HOME: cwd }, timeoutMs: 60_000 });
}

/** Every path under `dir` (relative, sorted) with a type mark: `d/` dir, `l:` link target, else file. */
export async function tree(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(join(dir, prefix))).sort()) {
    const rel = prefix === '' ? name : `${prefix}/${name}`;
    const st = await lstat(join(dir, rel));
    if (st.isSymbolicLink()) out.push(`${rel} -> ${await readlink(join(dir, rel))}`);
    else if (st.isDirectory()) out.push(`${rel}/`, ...(await tree(dir, rel)));
    else out.push(rel);
  }
  return out;
}
