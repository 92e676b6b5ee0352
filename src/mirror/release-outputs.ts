/**
 * release mirror's writers, run after a successful copy: the `Success`
 * text, the mirror instructions (registry destination) or the upload hint
 * plus the `airlock-release/<tag>.json` record of source repositories
 * (file:// export, so the second hop prints the same instructions), the
 * --output-dir files, and the GPG signature ConfigMap.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatImageReference, registryNameOf, repositoryText, type ImageReference } from '../transports/all.js';
import { isFileStoreReference } from '../transports/file-store/file-transport.js';
import { fetchSignatures, signatureFileName, writeSignatureConfigMap } from '../release/signatures.js';
import type { ReleaseDestination, ReleaseInfo } from './collectors/release.js';
import { instructionsText, successText, uploadHint, type InstructionType } from './release-text.js';
import { icspYaml } from './resources/icsp.js';
import { idmsYaml } from './resources/idms.js';
import { installConfigSnippet } from './resources/install-config.js';
import { mirrorSets } from './resources/mirror-sets.js';

export interface ReleaseOutputOptions {
  readonly from: ImageReference;
  readonly to: ReleaseDestination;
  /** --to as the user wrote it (printed in `Mirror prefix:`); undefined when defaulted from --to-dir. */
  readonly toText?: string;
  readonly toRelease?: ReleaseDestination;
  readonly toReleaseText?: string;
  readonly toDir?: string;
  /** Root of the file:// store the release was read from. */
  readonly fromRoot: string;
  readonly dryRun: boolean;
  readonly instructions: InstructionType;
  readonly outputDir?: string;
  readonly signatureDir?: string;
  readonly signatureStores?: readonly string[];
  /** Signatures and other attachments copied along. */
  readonly attachments: number;
  /** Attachments that were already present (a re-run). */
  readonly attachmentsPresent?: number;
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
}

/** The sources recorded beside a file:// export, so the second hop prints the same instructions. */
const sidecarPath = (dir: string, tag: string): string => join(dir, 'airlock-release', `${tag}.json`);

/** Writes everything that follows a successful copy; returns the signature ConfigMap's path when one was written. */
export async function writeReleaseOutputs(o: ReleaseOutputOptions, info: ReleaseInfo): Promise<string | undefined> {
  if (o.attachments > 0) o.err(`info: ${o.dryRun ? 'would copy' : 'copied'} ${o.attachments} signature(s) and other attachment(s)\n`);
  if ((o.attachmentsPresent ?? 0) > 0) o.err(`info: ${o.attachmentsPresent} signature(s) and other attachment(s) already present\n`);
  const updateImage = formatImageReference(info.target.ref).replace(/^file:\/\//, '');
  o.out(successText(updateImage, [o.toText, o.toReleaseText].filter((t): t is string => t !== undefined)));
  const sources = new Set(info.components.map((c) => c.repository));
  if (registryNameOf(o.from) !== undefined) sources.add(repositoryText(o.from));
  if (isFileStoreReference(o.from)) {
    const tag = o.from.name.tag;
    const side = tag ? await readFile(sidecarPath(o.fromRoot, tag), 'utf8').catch(() => undefined) : undefined;
    if (side !== undefined) for (const s of (JSON.parse(side) as { sources: string[] }).sources) sources.add(s);
    else o.err('warning: the release image\'s original repository is unknown (no airlock-release record in the source directory); it is left out of the mirror instructions\n');
  }
  if (isFileStoreReference(o.to)) {
    if (!o.dryRun && o.toDir !== undefined) {
      await mkdir(join(o.toDir, 'airlock-release'), { recursive: true });
      await writeFile(sidecarPath(o.toDir, info.target.tag), `${JSON.stringify({ version: info.version, release: info.releaseDigest, sources: [...sources].sort() }, null, 2)}\n`);
    }
    o.out(uploadHint(updateImage, o.toDir));
  } else {
    const mirrors = [o.to, ...(o.toRelease ? [o.toRelease] : [])].map(repositoryText);
    const sets = mirrorSets(sources, mirrors);
    o.out(instructionsText(sets, o.instructions, o.signatureDir));
    if (o.outputDir !== undefined) {
      await mkdir(o.outputDir, { recursive: true });
      await writeFile(join(o.outputDir, 'icsp.yaml'), icspYaml(sets));
      await writeFile(join(o.outputDir, 'idms.yaml'), idmsYaml(sets));
      await writeFile(join(o.outputDir, 'install-config-snippet.yaml'), installConfigSnippet(sets, o.instructions === 'icsp' ? 'icsp' : 'idms'));
    }
  }
  return o.signatureDir !== undefined ? saveSignatures(o, o.signatureDir, info.releaseDigest, info.payloadStores) : undefined;
}

async function saveSignatures(o: ReleaseOutputOptions, dir: string, digest: string, payloadStores: readonly string[]): Promise<string | undefined> {
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
    o.out(`info: Write configmap signature file ${join(dir, signatureFileName(digest))}\n`);
    return undefined;
  }
  const path = await writeSignatureConfigMap(dir, digest, got.signatures);
  o.out(`Configmap signature file ${path} created\n`);
  return path;
}
