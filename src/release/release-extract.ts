/**
 * `release extract --command`: finds the tool's image in image-references,
 * reads it (through --idms-file/--icsp-file mirrors for digests), walks its
 * layers top-most first for the file, and writes it with the release's
 * placeholders patched (pullspec by digest as read, version, architecture) —
 * or, for `--command-os '*'`, one tar.gz per OS plus release.txt and
 * sha256sum.txt. Files appear only after their layer's digest verified.
 */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack as tarPack } from 'tar-stream';
import { registryNameOf, repositoryText, type ImageReference } from '../transports/all.js';
import { openSource, referenceWithin, type TransportEnv } from '../transports/open.js';
import type { ImageSource, RawManifest } from '../transports/types.js';
import { hostGoArch, hostGoOs } from './arch.js';
import { PlaceholderPatcher, RELEASE_ARCHITECTURE_MARKER, RELEASE_IMAGE_MARKER, RELEASE_VERSION_MARKER, type Replacement } from './binary-patch.js';
import { openWithMirrors } from './component-source.js';
import { ExtractError, parseCommandOs, selectTargets, type ExtractTarget } from './extract-targets.js';
import { componentsOf } from './image-references.js';
import { manifestRefs } from '../oci/manifest-refs.js';
import { walkImage } from '../extract/image-walk.js';
import type { LayerEntry } from '../extract/layer-tar.js';
import type { DigestMirrors } from './mirror-policy.js';
import { readRelease, releaseName, releasePlatform, selectPlatform, type ImageConfig } from './payload-reader.js';
import { releaseInfoDoc, renderReleaseInfo } from './release-info.js';

export interface ReleaseExtractOptions {
  readonly env: TransportEnv;
  readonly from: ImageReference;
  readonly command: string;
  readonly commandOs?: string;
  readonly toDir: string;
  readonly policy: readonly DigestMirrors[];
  readonly err: (s: string) => void;
}

export interface ExtractedFile {
  readonly path: string;
  readonly target: ExtractTarget;
  readonly sha256?: string;
}

async function openRelease(o: ReleaseExtractOptions): Promise<{ src: ImageSource; within: string }> {
  const within = referenceWithin(o.from);
  if (within === undefined) throw new ExtractError('the release image needs a tag or a digest');
  const registryName = registryNameOf(o.from);
  if (registryName?.digest !== undefined) {
    const opened = await openWithMirrors(o.env, registryName, o.policy);
    return { src: opened.src, within: opened.manifest.digest };
  }
  if (o.policy.length > 0) o.err('warning: --idms-file(and --icsp-file) only applies to images referenced by digest and will be ignored for tags\n');
  return { src: await openSource(o.env, o.from), within };
}

/** Walks `image`'s layers top-most first (the one image walk); `onFile` gets the visible regular file at `path`, which must not be a link. */
async function findFile(src: ImageSource, image: RawManifest, path: string, onFile: (e: LayerEntry, body: Readable) => Promise<void>): Promise<boolean> {
  const refs = manifestRefs(image);
  if (refs.kind !== 'image') throw new ExtractError(`manifest ${image.digest} is not an image`);
  let found = false;
  await walkImage(src, refs.layers, {
    under: [path],
    visit: async (entry, body, at) => {
      if (entry.path !== path) return;
      if (entry.type === 'symlink' || entry.type === 'link') throw new ExtractError(`/${path} in layer ${at.digest} is a ${entry.type} to ${entry.linkname}; refusing to follow it`);
      if (entry.type !== 'file' && entry.type !== 'contiguous-file') throw new ExtractError(`/${path} in layer ${at.digest} is not a regular file (${entry.type})`);
      found = true;
      await onFile(entry, body);
      return 'stop';
    },
  });
  return found;
}

async function writeAll(sink: NodeJS.WritableStream, body: Readable): Promise<void> {
  for await (const chunk of body as AsyncIterable<Buffer>) if (!sink.write(chunk)) await once(sink as unknown as NodeJS.EventEmitter, 'drain');
}

export async function releaseExtract(o: ReleaseExtractOptions): Promise<ExtractedFile[]> {
  const sel = parseCommandOs(o.commandOs, { os: hostGoOs(), arch: hostGoArch() });
  const { src, within } = await openRelease(o);
  const release = await readRelease(src, within);
  await src.close();
  const releaseArch = release.config.architecture ?? 'amd64';
  const targets = selectTargets(o.command, sel, releaseArch);
  const name = releaseName(release);
  const pullSpec = `${repositoryText(o.from).replace(/^file:\/\//, '')}@${release.manifestListDigest ?? release.topDigest}`;
  const components = new Map(componentsOf(release.imageStream).map((c) => [c.name, c]));
  await mkdir(o.toDir, { recursive: true });
  const out: ExtractedFile[] = [];
  for (const t of targets) {
    const comp = components.get(t.image);
    if (comp === undefined) {
      if (t.newArch || sel.all) continue;
      throw new ExtractError(`the image "${t.image}" containing the desired command is not available`);
    }
    const opened = await openWithMirrors(o.env, comp.image, o.policy);
    const want = `${release.config.os ?? 'linux'}/${releaseArch}`;
    let image = opened.manifest;
    try {
      image = (await selectPlatform(opened.src, opened.manifest, want)).image;
    } catch {
      image = (await selectPlatform(opened.src, opened.manifest, undefined)).image;
    }
    const replacements: Replacement[] = [
      ...(t.inject.image ? [{ name: 'release image', marker: RELEASE_IMAGE_MARKER, value: pullSpec }] : []),
      ...(t.inject.version ? [{ name: 'release version', marker: RELEASE_VERSION_MARKER, value: name }] : []),
      ...(t.inject.arch ? [{ name: 'release architecture', marker: RELEASE_ARCHITECTURE_MARKER, value: releasePlatform(release) }] : []),
    ];
    const fileName = t.fileName ?? t.command;
    const final = join(o.toDir, sel.all ? t.archive.replace('%s', name) : fileName);
    const tmp = join(o.toDir, `.${fileName}.tmp-${randomBytes(6).toString('hex')}`);
    const hash = createHash('sha256');
    let patcher: PlaceholderPatcher | undefined;
    try {
      const found = await findFile(opened.src, image, t.path, async (entry, body) => {
        patcher = new PlaceholderPatcher(replacements);
        const patched = body.pipe(patcher);
        if (!sel.all) {
          await pipeline(patched, createWriteStream(tmp, { mode: 0o755 }));
          return;
        }
        const pack = tarPack();
        const hashing = new Transform({ transform: (c: Buffer, _e, cb) => { hash.update(c); cb(null, c); } });
        const written = pipeline(pack as unknown as Readable, createGzip({ level: 3 }), hashing, createWriteStream(tmp, { mode: 0o644 }));
        const sink = pack.entry({ name: fileName, size: entry.size, mode: 0o755, mtime: entry.mtime ?? new Date(0) });
        await writeAll(sink as unknown as NodeJS.WritableStream, patched);
        (sink as unknown as PassThrough).end();
        if (t.command.startsWith('oc')) pack.entry({ name: 'kubectl', type: 'link', linkname: fileName, mode: 0o755 });
        pack.finalize();
        await written;
      });
      await opened.src.close();
      if (!found) {
        if (t.newArch || sel.all) continue;
        throw new ExtractError(`image did not contain ${t.path}`);
      }
      await rename(tmp, final);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    const missing = patcher?.missing() ?? [];
    if (missing.length > 0) o.err(`warning: Unable to make all expected replacements in ${fileName}.  Remaining: ${missing.join(', ')}\n`);
    out.push({ path: final, target: t, ...(sel.all ? { sha256: hash.digest('hex') } : {}) });
  }
  if (sel.all) await writeChecksums(o, out, renderReleaseInfo(releaseInfoDoc(release, repositoryText(o.from))), release.config);
  return out;
}

async function writeChecksums(o: ReleaseExtractOptions, files: readonly ExtractedFile[], info: string, _config: ImageConfig): Promise<void> {
  const text = `Client tools for OpenShift\n--------------------------\n\nThe openshift-install binary has been preconfigured to install the following release:\n\n---\n\n${info}`;
  await writeFile(join(o.toDir, 'release.txt'), text);
  const sums = new Map<string, string>([['release.txt', createHash('sha256').update(text).digest('hex')]]);
  for (const f of files) if (f.sha256) sums.set(f.path.slice(o.toDir.length).replace(/^\/+/, ''), f.sha256);
  const lines = [...sums].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([n, h]) => `${h}  ${n}`);
  await writeFile(join(o.toDir, 'sha256sum.txt'), `${lines.join('\n')}\n`);
}
