/**
 * `release mirror`: reads the release payload, maps the release image and
 * every component to `<to>:<version>-<arch>[-<name>]`, copies them with the
 * copy engine (dedup, mounts, retries, resume by re-running; cosign signatures
 * travel along as attachments), then writes the GPG signature ConfigMaps
 * and prints oc's text.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCopyContext } from '../copy/copy-context.js';
import type { CopyEvent } from '../copy/events.js';
import { declareScopes, runMirror, type ImageOutcome } from '../copy/mirror.js';
import { formatImageReference, type ImageReference } from '../reference/transport-ref.js';
import { openSource, referenceWithin, type TransportEnv } from '../transports/open.js';
import { FileRepository } from '../transports/file-store/file-store.js';
import { componentsOf } from './image-references.js';
import { icspYaml, idmsYaml, installConfigSnippet, instructionsText, mirrorSets, successText, uploadHint, type InstructionType } from './mirror-instructions.js';
import { archSuffix, mappingLines, mirrorJobs, planMappings, releaseTarget, ReleaseMirrorError, repoText } from './mirror-plan.js';
import { readRelease } from './payload-reader.js';
import { fetchSignatures, signatureFileName, verificationStores, writeSignatureConfigMap } from './signatures.js';

type Dest = ImageReference & { transport: 'docker' | 'file' };

export interface ReleaseMirrorOptions {
  readonly env: TransportEnv;
  readonly from: ImageReference;
  readonly to: Dest;
  /** --to as the user wrote it (printed in `Mirror prefix:`); undefined when defaulted from --to-dir. */
  readonly toText?: string;
  readonly toRelease?: Dest;
  readonly toReleaseText?: string;
  readonly toDir?: string;
  readonly skipRelease?: boolean;
  readonly keepManifestList?: boolean;
  readonly filterByOs?: string;
  readonly dryRun?: boolean;
  readonly toMirror?: boolean;
  readonly instructions: InstructionType;
  readonly outputDir?: string;
  readonly signatureDir?: string;
  readonly signatureStores?: readonly string[];
  /** Copy cosign `.sig`/`.att`/`.sbom` tags and referrers along (the copy engine's attachments; default true). */
  readonly cosign?: boolean;
  readonly maxPerStore?: number;
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
  readonly emit?: (e: CopyEvent) => void;
}

export interface ReleaseMirrorResult {
  readonly images: readonly ImageOutcome[];
  readonly errors: readonly { source: string; message: string }[];
  readonly releaseDigest: string;
  readonly cosignCopied: number;
  readonly signatureFile?: string;
}

/** The sources recorded beside a file:// export, so the second hop prints the same instructions. */
const sidecarPath = (dir: string, tag: string): string => join(dir, 'airlock-release', `${tag}.json`);

async function localDigests(env: TransportEnv, from: ImageReference, digests: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  if (from.transport !== 'file') return out;
  const repo = new FileRepository(env.fromDir ?? env.dir ?? process.cwd(), from.name.repository);
  for (const d of digests) if ((await repo.resolve(d).catch(() => undefined)) !== undefined) out.add(d);
  return out;
}

export async function releaseMirror(o: ReleaseMirrorOptions): Promise<ReleaseMirrorResult> {
  const within = referenceWithin(o.from);
  if (within === undefined) throw new ReleaseMirrorError(`--from ${formatImageReference(o.from)} needs a tag or a digest`);
  const src = await openSource(o.env, o.from);
  let release;
  try {
    release = await readRelease(src, within, { platform: o.keepManifestList ? 'linux/amd64' : o.filterByOs });
  } finally {
    await src.close();
  }
  for (const w of release.warnings) o.err(`warning: ${w}\n`);
  const version = release.imageStream.metadata.name;
  const suffix = archSuffix(release.config.architecture, o.keepManifestList === true && release.manifestListDigest !== undefined);
  const components = componentsOf(release.imageStream);
  if (components.length === 0) o.err('warning: Release image contains no image references - is this a valid release?\n');
  const local = await localDigests(o.env, o.from, components.map((c) => c.image.digest));
  const mappings = planMappings({ from: o.from, fromWithin: release.topDigest, to: o.to, toRelease: o.toRelease, skipRelease: o.skipRelease === true, version, suffix, components, localDigests: local });
  if (o.toMirror) {
    o.out(mappingLines(mappings));
    return { images: [], errors: [], releaseDigest: release.topDigest, cosignCopied: 0 };
  }
  const target = releaseTarget({ to: o.to, toRelease: o.toRelease, version, suffix });
  o.err(`info: Mirroring ${mappings.length} images to ${o.toText ?? formatImageReference(o.to)} ...\n`);
  const copy = createCopyContext({ maxPerStore: o.maxPerStore, dryRun: o.dryRun, emit: o.emit });
  const jobs = mirrorJobs(mappings);
  declareScopes(o.env, jobs);
  const result = await runMirror(jobs, { env: o.env, copy, parallelImages: (o.maxPerStore ?? 6) * 4, continueOnError: true, skipSignatures: o.cosign === false });
  const cosignCopied = result.attachments;
  if (result.errors.length > 0) return { images: result.images, errors: result.errors, releaseDigest: release.topDigest, cosignCopied };
  if (cosignCopied > 0) o.err(`info: ${o.dryRun ? 'would copy' : 'copied'} ${cosignCopied} signature(s) and other attachment(s)\n`);

  const updateImage = formatImageReference(target.ref).replace(/^file:\/\//, '');
  o.out(successText(updateImage, [o.toText, o.toReleaseText].filter((t): t is string => t !== undefined)));
  const toDisk = o.to.transport === 'file';
  const sources = new Set(components.map((c) => c.repository));
  if (o.from.transport === 'docker') sources.add(repoText(o.from));
  if (o.from.transport === 'file') {
    const tag = o.from.name.tag;
    const side = tag ? await readFile(sidecarPath(o.env.fromDir ?? o.env.dir ?? process.cwd(), tag), 'utf8').catch(() => undefined) : undefined;
    if (side !== undefined) for (const s of (JSON.parse(side) as { sources: string[] }).sources) sources.add(s);
    else o.err('warning: the release image\'s original repository is unknown (no airlock-release record in the source directory); it is left out of the mirror instructions\n');
  }
  if (toDisk) {
    if (!o.dryRun && o.toDir !== undefined) {
      const path = sidecarPath(o.toDir, target.tag);
      await mkdir(join(o.toDir, 'airlock-release'), { recursive: true });
      await writeFile(path, `${JSON.stringify({ version, release: release.topDigest, sources: [...sources].sort() }, null, 2)}\n`);
    }
    o.out(uploadHint(updateImage, o.toDir));
  } else {
    const mirrors = [o.to, ...(o.toRelease ? [o.toRelease] : [])].map(repoText);
    const sets = mirrorSets(sources, mirrors);
    o.out(instructionsText(sets, o.instructions, o.signatureDir));
    if (o.outputDir !== undefined && !o.dryRun) {
      await mkdir(o.outputDir, { recursive: true });
      await writeFile(join(o.outputDir, 'icsp.yaml'), icspYaml(sets));
      await writeFile(join(o.outputDir, 'idms.yaml'), idmsYaml(sets));
      await writeFile(join(o.outputDir, 'install-config-snippet.yaml'), installConfigSnippet(sets, o.instructions === 'icsp' ? 'icsp' : 'idms'));
    }
  }
  let signatureFile: string | undefined;
  if (o.signatureDir !== undefined) signatureFile = await saveSignatures(o, release.topDigest, verificationStores(release.files));
  return { images: result.images, errors: [], releaseDigest: release.topDigest, cosignCopied, ...(signatureFile ? { signatureFile } : {}) };
}

async function saveSignatures(o: ReleaseMirrorOptions, digest: string, payloadStores: readonly string[]): Promise<string | undefined> {
  const stores = o.signatureStores && o.signatureStores.length > 0 ? o.signatureStores : payloadStores;
  if (stores.length === 0) {
    o.err('warning: no signature store: give --signature-store (the release payload names none); no signature ConfigMap was written\n');
    return undefined;
  }
  const got = await fetchSignatures(stores, digest);
  for (const w of got.warnings) o.err(`warning: ${w}\n`);
  if (got.signatures.length === 0) {
    o.err(`warning: no release image signatures found for ${digest}; no signature ConfigMap was written (the mirror itself is complete)\n`);
    return undefined;
  }
  if (o.dryRun) {
    o.out(`info: Write configmap signature file ${join(o.signatureDir!, signatureFileName(digest))}\n`);
    return undefined;
  }
  const path = await writeSignatureConfigMap(o.signatureDir!, digest, got.signatures);
  o.out(`Configmap signature file ${path} created\n`);
  return path;
}
