/**
 * The registry transport: `docker://HOST/REPO[:TAG][@DIGEST]`, or the same
 * without the prefix (a bare name is a registry image, as in oc). The host
 * is required: airlock never guesses docker.io.
 */
import { InvalidReferenceError, formatImageName, parseImageName, repositoryOf, type ImageName, type RegistryRef } from '../../reference/image-name.js';
import type { Transport, TransportReference } from '../transport.js';

export interface DockerReference {
  readonly transport: 'docker';
  readonly name: RegistryRef;
  /** True when the input carried the `docker://` prefix (kept by format). */
  readonly explicit: boolean;
}

const PREFIX = 'docker://';

/** A reference to `name` on its registry, written without the prefix. */
export function registryReference(name: RegistryRef): DockerReference {
  return { transport: 'docker', name, explicit: false };
}

const bareName = (n: ImageName): ImageName => ({ ...n, tag: undefined, digest: undefined });

export const registryTransport: Transport<DockerReference> = {
  name: 'docker',
  prefixes: [PREFIX],
  bare: true,
  selectorWords: 'a tag or a digest',
  parse(input, opts) {
    const explicit = input.startsWith(PREFIX);
    const name = parseImageName(explicit ? input.slice(PREFIX.length) : input, opts);
    if (name.registry === undefined) {
      throw new InvalidReferenceError(input, `no registry host; write it fully qualified, e.g. registry.example.com:5000/${name.repository}`);
    }
    return { transport: 'docker', name: name as RegistryRef, explicit };
  },
  format: (r) => `${r.explicit ? PREFIX : ''}${formatImageName(r.name)}`,
  repositoryText: (r) => repositoryOf(bareName(r.name)),
  selector: (r) => ({ tag: r.name.tag, digest: r.name.digest }),
  withSelector: (r, sel) => ({ ...r, name: { ...r.name, tag: sel.tag, digest: sel.digest } }),
  imageName: (r) => r.name,
  registryName: (r) => r.name,
  openSource: async (env, r) => env.registries.source(r.name),
  openDestination: async (env, r) => env.registries.destination(r.name),
};

/** True for a reference the registry transport parsed (commands that only push to registries check it). */
export function isRegistryReference(ref: TransportReference): ref is DockerReference {
  return ref.transport === 'docker';
}
