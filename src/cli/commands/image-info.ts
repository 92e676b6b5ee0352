/**
 * `airlock image info REF`: what an image is without pulling it: manifest
 * digest and type, platforms of a list, and for each image its config
 * (os/arch, created, labels, entrypoint), layers and sizes.
 */
import { Command, Option } from 'commander';
import { platformString } from '../../oci/descriptor.js';
import { manifestRefs } from '../../oci/manifest-refs.js';
import { formatBytes } from '../../copy/mirror-report.js';
import { parseImageReference, type ImageReference } from '../../transports/all.js';
import { openSource, referenceWithin, type TransportEnv } from '../../transports/open.js';
import { RegistryHub } from '../../transports/registry/registry-hub.js';
import type { BlobInfo, ImageSource, RawManifest } from '../../transports/types.js';
import { verified } from '../../transports/verify-stream.js';
import { CliError } from '../cli-error.js';
import { hubOptions, withConnectionFlags, type ConnectionFlags } from './registry-flags.js';

interface InfoFlags extends ConnectionFlags {
  fromDir?: string;
  output: 'text' | 'json';
}

interface ImageInfo {
  digest: string;
  mediaType: string;
  platform?: string;
  config?: { digest: string; os?: string; architecture?: string; variant?: string; created?: string; labels?: Record<string, string>; entrypoint?: string[]; cmd?: string[]; env?: string[] };
  layers?: { digest: string; size: number; mediaType?: string }[];
  size?: number;
  manifests?: ImageInfo[];
}

const MAX_CONFIG = 4 << 20;

/** The image config (verified against its digest), or {} when it is too big to be one. */
async function readConfig(src: ImageSource, blob: BlobInfo): Promise<Record<string, unknown>> {
  if (blob.size > MAX_CONFIG) return {};
  const chunks: Buffer[] = [];
  for await (const c of verified(await src.getBlob(blob), blob)) chunks.push(c as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

async function describe(src: ImageSource, m: RawManifest, platform: string | undefined, depth = 0): Promise<ImageInfo> {
  const refs = manifestRefs(m);
  if (refs.kind === 'index') {
    const manifests: ImageInfo[] = [];
    if (depth < 2) {
      for (const c of refs.children) manifests.push(await describe(src, { ...(await src.getManifest(c.digest)), mediaType: c.mediaType }, platformString(c.platform), depth + 1));
    }
    return { digest: m.digest, mediaType: m.mediaType, ...(platform ? { platform } : {}), manifests };
  }
  const cfg = await readConfig(src, refs.config);
  const inner = (cfg.config ?? {}) as { Labels?: Record<string, string>; Entrypoint?: string[]; Cmd?: string[]; Env?: string[] };
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  return {
    digest: m.digest,
    mediaType: m.mediaType,
    ...(platform ? { platform } : {}),
    config: {
      digest: refs.config.digest,
      os: str(cfg.os),
      architecture: str(cfg.architecture),
      variant: str(cfg.variant),
      created: str(cfg.created),
      labels: inner.Labels ?? undefined,
      entrypoint: inner.Entrypoint ?? undefined,
      cmd: inner.Cmd ?? undefined,
      env: inner.Env ?? undefined,
    },
    layers: refs.layers.map((l) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType })),
    size: refs.config.size + refs.layers.reduce((n, l) => n + l.size, 0),
  };
}

function text(ref: string, info: ImageInfo, indent = ''): string {
  const lines: string[] = [];
  if (indent === '') lines.push(`Name:       ${ref}`);
  lines.push(`${indent}Digest:     ${info.digest}`, `${indent}Media Type: ${info.mediaType}`);
  if (info.platform) lines.push(`${indent}Platform:   ${info.platform}`);
  if (info.manifests) {
    lines.push(`${indent}Manifests:  ${info.manifests.length}`);
    for (const c of info.manifests) lines.push('', text(ref, c, `${indent}  `));
    return lines.join('\n');
  }
  const c = info.config!;
  if (!info.platform) lines.push(`${indent}OS/Arch:    ${c.os ?? '?'}/${c.architecture ?? '?'}${c.variant ? `/${c.variant}` : ''}`);
  if (c.created) lines.push(`${indent}Created:    ${c.created}`);
  lines.push(`${indent}Config:     ${c.digest}`);
  if (c.entrypoint) lines.push(`${indent}Entrypoint: ${JSON.stringify(c.entrypoint)}`);
  if (c.cmd) lines.push(`${indent}Command:    ${JSON.stringify(c.cmd)}`);
  if (c.labels && Object.keys(c.labels).length > 0) {
    lines.push(`${indent}Labels:`);
    for (const [k, v] of Object.entries(c.labels).sort()) lines.push(`${indent}  ${k}=${v}`);
  }
  lines.push(`${indent}Layers:     ${info.layers!.length} (${formatBytes(info.size!)} with config)`);
  for (const l of info.layers!) lines.push(`${indent}  ${l.digest} ${formatBytes(l.size)}`);
  return lines.join('\n');
}

async function info(refText: string, f: InfoFlags): Promise<void> {
  let ref: ImageReference;
  try {
    ref = parseImageReference(refText);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const within = referenceWithin(ref);
  if (within === undefined) throw new CliError(`${refText}: needs a tag or a digest`);
  const registries = new RegistryHub(await hubOptions(f));
  const env: TransportEnv = { registries, fromDir: f.fromDir };
  try {
    const src = await openSource(env, ref);
    const result = await describe(src, await src.getManifest(within), undefined);
    process.stdout.write(f.output === 'json' ? `${JSON.stringify(result, null, 2)}\n` : `${text(refText, result)}\n`);
  } catch (e) {
    // Not a usage error: say what went wrong (no stack) and exit 1.
    process.stderr.write(`error: ${refText}: ${(e as Error).message}\n`);
    process.exitCode = 1;
  } finally {
    await registries.close();
  }
}

export function imageInfoCommand(): Command {
  return withConnectionFlags(
    new Command('info')
      .description('Show an image: digest, media type, platforms, config, layers and sizes')
      .argument('<ref>', 'image reference (docker://, oci:PATH:REF or file://)'),
  )
    .option('--from-dir <dir>', 'root of the file:// disk store')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action((ref: string, f: InfoFlags) => info(ref, f));
}
