/**
 * The transport of oc's disk store: `file://[/]REPO[:TAG][@DIGEST]`, the
 * store (`v2/<repo>/…`) under --dir (writes) or --from-dir (reads). As in
 * oc, one leading `/` after `file://` is dropped, and a host in the name is
 * kept but not used for the on-disk path.
 */
import { formatImageName, parseImageName, repositoryOf, type ImageName } from '../../reference/image-name.js';
import type { TransportEnv, Transport, TransportReference } from '../transport.js';
import { FileDestination, FileSource } from './file-image.js';
import { storeContents, storeContentsText } from './store-contents.js';

export interface FileReference {
  readonly transport: 'file';
  readonly name: ImageName;
  /** True when the input was `file:///…` (one leading slash, dropped). */
  readonly leadingSlash: boolean;
}

const PREFIX = 'file://';

/** The disk store `file://` sources are read from: --from-dir, else --dir, else the current directory. */
export function fileSourceRoot(env: TransportEnv): string {
  return env.fromDir ?? env.dir ?? process.cwd();
}

/** True for a reference into oc's disk store (the air-gapped flows name it). */
export function isFileStoreReference(ref: TransportReference): ref is FileReference {
  return ref.transport === 'file';
}

/** `file://REPOSITORY` (no host, no selector). */
export function fileStoreReference(repository: string): FileReference {
  return { transport: 'file', name: { registry: undefined, repository, tag: undefined, digest: undefined }, leadingSlash: false };
}

export const fileStoreTransport: Transport<FileReference> = {
  name: 'file',
  prefixes: [PREFIX],
  selectorWords: 'a tag or a digest',
  parse(input, opts) {
    let rest = input.slice(PREFIX.length);
    const leadingSlash = rest.startsWith('/');
    if (leadingSlash) rest = rest.slice(1);
    return { transport: 'file', name: parseImageName(rest, opts), leadingSlash };
  },
  format: (r) => `${PREFIX}${r.leadingSlash ? '/' : ''}${formatImageName(r.name)}`,
  repositoryText: (r) => `${PREFIX}${repositoryOf({ ...r.name, tag: undefined, digest: undefined })}`,
  selector: (r) => ({ tag: r.name.tag, digest: r.name.digest }),
  withSelector: (r, sel) => ({ ...r, name: { ...r.name, tag: sel.tag, digest: sel.digest } }),
  imageName: (r) => r.name,
  registryName: () => undefined,
  openSource: async (env, r) => new FileSource(fileSourceRoot(env), r.name.repository),
  openDestination: async (env, r) => new FileDestination(env.dir ?? process.cwd(), r.name.repository),
  contentsHint: async (env) => {
    const root = fileSourceRoot(env);
    return `in the disk store ${root}: ${storeContentsText(await storeContents(root))}`;
  },
};
