/**
 * Small synthetic images for client tests, written straight into an OCI
 * image layout with plain fs calls (independent of airlock's layout code):
 * `n` images sharing one base layer, each with its own layer and config.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { seeded } from '../../fixtures/release-fixture-images.js';

export interface TinyImage {
  ref: string;
  digest: string;
  blobs: string[];
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export async function writeTinyImages(dir: string, n: number, opts: { layerSize?: number; seed?: string } = {}): Promise<TinyImage[]> {
  const blobDir = join(dir, 'blobs', 'sha256');
  await mkdir(blobDir, { recursive: true });
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const put = async (b: Buffer): Promise<{ digest: string; size: number }> => {
    const hex = sha(b);
    await writeFile(join(blobDir, hex), b);
    return { digest: `sha256:${hex}`, size: b.length };
  };
  const size = opts.layerSize ?? 100_000;
  const seed = opts.seed ?? 'tiny';
  const base = await put(seeded(`${seed}-base`, size));
  const images: TinyImage[] = [];
  const index: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const own = await put(seeded(`${seed}-own-${i}`, size + i));
    const config = await put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: { Labels: { i: String(i) } } })));
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [base, own].map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...l })),
      }),
    );
    const m = await put(manifest);
    const ref = `img-${i}`;
    index.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m, annotations: { 'org.opencontainers.image.ref.name': ref } });
    images.push({ ref, digest: m.digest, blobs: [config.digest, base.digest, own.digest] });
  }
  await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: index }));
  return images;
}
