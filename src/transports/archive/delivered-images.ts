/**
 * The manifests and tags the far side of the air gap already holds, per
 * repository path of the archive set (`openshift/release`, no registry, no
 * d2m prefix), so m2d leaves them out of the archive as it leaves out blobs
 * (skip-set.ts). Sources: the image history m2d keeps next to its blob
 * history (history.ts), or an inventory of the far registry.
 *
 * Text form, one entry a line (the history's images file):
 *   PATH@DIGEST        the manifest DIGEST is in repository PATH
 *   PATH:TAG@DIGEST    tag TAG of PATH points at DIGEST
 */
import { isDigest, type Digest } from '../../oci/digest.js';

export class DeliveredImages {
  private readonly manifests = new Map<string, Set<string>>();
  private readonly tags = new Map<string, Map<string, Digest>>();

  hasManifest(path: string, digest: Digest): boolean {
    return this.manifests.get(path)?.has(digest) ?? false;
  }

  /** The digest tag `tag` of `path` points at there, if known. */
  tag(path: string, tag: string): Digest | undefined {
    return this.tags.get(path)?.get(tag);
  }

  addManifest(path: string, digest: string): void {
    let s = this.manifests.get(path);
    if (s === undefined) this.manifests.set(path, (s = new Set()));
    s.add(digest);
  }

  /** A tag (a later entry for the same tag replaces the earlier one); its manifest is delivered too. */
  addTag(path: string, tag: string, digest: Digest): void {
    let m = this.tags.get(path);
    if (m === undefined) this.tags.set(path, (m = new Map()));
    m.set(tag, digest);
    this.addManifest(path, digest);
  }

  get size(): { manifests: number; tags: number } {
    let manifests = 0;
    let tags = 0;
    for (const s of this.manifests.values()) manifests += s.size;
    for (const m of this.tags.values()) tags += m.size;
    return { manifests, tags };
  }

  /** Adds one line of the text form; false when it is not one. */
  addLine(line: string): boolean {
    const at = line.lastIndexOf('@');
    const digest = line.slice(at + 1);
    if (at <= 0 || !isDigest(digest)) return false;
    const ref = line.slice(0, at);
    const colon = ref.lastIndexOf(':');
    if (colon > ref.lastIndexOf('/')) {
      const [path, tag] = [ref.slice(0, colon), ref.slice(colon + 1)];
      if (path === '' || !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) return false;
      this.addTag(path, tag, digest as Digest);
    } else this.addManifest(ref, digest);
    return true;
  }

  /** The text form, sorted. */
  lines(): string[] {
    const out: string[] = [];
    for (const [path, s] of this.manifests) for (const d of s) out.push(`${path}@${d}`);
    for (const [path, m] of this.tags) for (const [t, d] of m) out.push(`${path}:${t}@${d}`);
    return out.sort();
  }
}
