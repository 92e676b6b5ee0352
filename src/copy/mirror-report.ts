/**
 * Turns copy events into what `image mirror` prints: the dry-run plan
 * (registry → repository → blobs and manifests, oc's shape plus what would be
 * mounted or skipped and the total bytes to transfer) and the final summary.
 */
import type { BlobAction, CopyEvent } from './events.js';

interface RepoPlan {
  blobs: { src: string; digest: string; size: number; action: BlobAction }[];
  manifests: { digest: string; tag?: string }[];
}

export interface MirrorStats {
  images: number;
  imagesSkipped: number;
  blobs: Record<BlobAction, number>;
  /** Bytes of blobs that crossed (or, in a dry run, would cross). */
  bytesTransferred: number;
  bytesMounted: number;
  bytesSkipped: number;
  manifests: number;
  retries: number;
  warnings: string[];
}

export class MirrorReport {
  readonly stats: MirrorStats = {
    images: 0,
    imagesSkipped: 0,
    blobs: { uploaded: 0, mounted: 0, exists: 0, deduped: 0 },
    bytesTransferred: 0,
    bytesMounted: 0,
    bytesSkipped: 0,
    manifests: 0,
    retries: 0,
    warnings: [],
  };
  private readonly plan = new Map<string, RepoPlan>();
  /** Bytes streamed so far (progress). */
  bytesStreamed = 0;

  /** Feed every engine event here. */
  readonly sink = (e: CopyEvent): void => {
    switch (e.type) {
      case 'blob': {
        this.stats.blobs[e.action]++;
        if (e.action === 'uploaded') this.stats.bytesTransferred += e.size;
        else if (e.action === 'mounted') this.stats.bytesMounted += e.size;
        else this.stats.bytesSkipped += e.size;
        if (e.action !== 'deduped') this.repo(e.dst).blobs.push({ src: e.src, digest: e.digest, size: e.size, action: e.action });
        break;
      }
      case 'bytes':
        this.bytesStreamed += e.n;
        break;
      case 'manifest':
        this.stats.manifests++;
        this.repo(e.dst).manifests.push({ digest: e.digest, tag: e.tag });
        break;
      case 'image':
        this.stats.images++;
        if (e.skipped) this.stats.imagesSkipped++;
        break;
      case 'retry':
        this.stats.retries++;
        break;
      case 'warning':
        this.stats.warnings.push(e.message);
        break;
    }
  };

  private repo(dst: string): RepoPlan {
    let p = this.plan.get(dst);
    if (p === undefined) {
      p = { blobs: [], manifests: [] };
      this.plan.set(dst, p);
    }
    return p;
  }

  /** The plan, grouped by destination store: oc's layout with an action per blob. */
  planText(): string {
    const byHost = new Map<string, [string, RepoPlan][]>();
    for (const [dst, p] of [...this.plan].sort(([a], [b]) => a.localeCompare(b))) {
      const scheme = dst.startsWith('file://') ? 'file://' : '';
      const rest = dst.slice(scheme.length);
      const slash = rest.indexOf('/');
      const host = dst.startsWith('oci:') ? dst : scheme !== '' ? 'file:/' : rest.slice(0, slash);
      const repo = dst.startsWith('oci:') ? '' : scheme !== '' ? rest : rest.slice(slash + 1);
      byHost.set(host, [...(byHost.get(host) ?? []), [repo, p]]);
    }
    const lines: string[] = [];
    for (const [host, repos] of byHost) {
      lines.push(`${host}/`);
      for (const [repo, p] of repos) {
        lines.push(`  ${repo || '.'}`);
        if (p.blobs.length > 0) lines.push('    blobs:');
        for (const b of p.blobs) lines.push(`      ${b.src} ${b.digest} ${formatBytes(b.size)}${b.action === 'uploaded' ? '' : ` (${b.action === 'mounted' ? 'mount' : 'exists'})`}`);
        if (p.manifests.length > 0) lines.push('    manifests:');
        for (const m of p.manifests) lines.push(`      ${m.digest}${m.tag ? ` -> ${m.tag}` : ''}`);
        const unique = p.blobs.filter((b) => b.action === 'uploaded');
        const size = unique.reduce((n, b) => n + b.size, 0);
        lines.push(`  stats: shared=${p.blobs.length - unique.length} unique=${unique.length} size=${formatBytes(size)}`);
      }
    }
    const s = this.stats;
    lines.push(
      '',
      `total: ${s.images} images (${s.imagesSkipped} already complete), ${s.blobs.uploaded} blobs to transfer (${formatBytes(s.bytesTransferred)}), ` +
        `${s.blobs.mounted} to mount, ${s.blobs.exists} already present, ${s.blobs.deduped} shared within the run`,
    );
    return lines.join('\n');
  }

  /** One-line summary (`wallMs` = run time). */
  summary(wallMs: number, dryRun = false): string {
    const s = this.stats;
    const secs = wallMs / 1000;
    const rate = secs > 0 ? s.bytesTransferred / 1e6 / secs : 0;
    const [moved, mounted] = dryRun ? ['to transfer', 'to mount'] : ['transferred', 'mounted'];
    return (
      `${s.images} images (${s.imagesSkipped} already complete); blobs: ${s.blobs.uploaded} ${moved} (${formatBytes(s.bytesTransferred)}), ` +
      `${s.blobs.mounted} ${mounted}, ${s.blobs.exists} already present, ${s.blobs.deduped} shared; ${s.manifests} manifests; ` +
      `${secs.toFixed(2)}s${dryRun ? '' : `, ${rate.toFixed(1)} MB/s`}${s.retries > 0 ? `; ${s.retries} retries` : ''}`
    );
  }
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n}B` : `${v.toFixed(v >= 100 ? 1 : v >= 10 ? 2 : 3)}${units[u]}`;
}
