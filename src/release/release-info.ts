/**
 * `airlock release info`: what `oc adm release info` shows (name, digest,
 * created, platform, pull spec, release metadata, images by digest) plus the
 * architectures of a multi-arch release; also as JSON.
 */
import { componentsOf } from './image-references.js';
import { releaseName, releasePlatform, type ReleaseImage } from './payload-reader.js';
import { sortVersions } from './release-metadata.js';

export interface ReleaseInfoDoc {
  name: string;
  digest: string;
  manifestListDigest?: string;
  created?: string;
  platform: string;
  architectures: string[];
  pullFrom: string;
  manifests: number;
  metadata?: { version: string; previous: string[]; metadata: Record<string, unknown> };
  components: { name: string; digest: string; pullSpec: string }[];
  warnings: string[];
}

/** `repository` is `host/repo` (or `file://repo`) the release was read from. */
export function releaseInfoDoc(r: ReleaseImage, repository: string): ReleaseInfoDoc {
  const components = componentsOf(r.imageStream);
  return {
    name: releaseName(r),
    digest: r.topDigest,
    ...(r.manifestListDigest ? { manifestListDigest: r.manifestListDigest } : {}),
    ...(r.config.created ? { created: r.config.created } : {}),
    platform: releasePlatform(r),
    architectures: [...r.platforms],
    pullFrom: `${repository}@${r.topDigest}`,
    manifests: [...r.files.keys()].filter((n) => /\.(ya?ml|json)$/.test(n)).length,
    ...(r.metadata ? { metadata: { version: r.metadata.version, previous: sortVersions(r.metadata.previous), metadata: r.metadata.metadata ?? {} } } : {}),
    components: components.map((c) => ({ name: c.name, digest: c.image.digest, pullSpec: c.pullSpec })),
    warnings: [...r.warnings],
  };
}

/** Aligns `key<TAB>value` rows as a tabwriter with padding 1 does. */
export function aligned(rows: readonly (readonly string[])[], indent = ''): string[] {
  const widths: number[] = [];
  for (const r of rows) r.slice(0, -1).forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => indent + r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]! + 1) : c)).join('').trimEnd());
}

function created(iso: string | undefined): string {
  if (iso === undefined) return '<unknown>';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().replace(/\.\d+Z$/, 'Z');
}

export function renderReleaseInfo(doc: ReleaseInfoDoc): string {
  const out: string[] = [];
  out.push(
    ...aligned([
      ['Name:', doc.name],
      ['Digest:', doc.digest],
      ['Created:', created(doc.created)],
      ['OS/Arch:', doc.platform],
      ['Architectures:', doc.architectures.join(', ')],
      ['Manifests:', String(doc.manifests)],
    ]),
  );
  out.push('', `Pull From: ${doc.pullFrom}`);
  if (doc.metadata) {
    out.push('', 'Release Metadata:');
    out.push(...aligned([['Version:', doc.metadata.version], ['Upgrades:', doc.metadata.previous.length > 0 ? doc.metadata.previous.join(', ') : '<none>']], '  '));
    const keys = Object.keys(doc.metadata.metadata)
      .filter((k) => {
        const v = doc.metadata!.metadata[k];
        return !(v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && Object.keys(v).length === 0));
      })
      .sort();
    if (keys.length > 0) {
      out.push('  Metadata:');
      out.push(...aligned(keys.map((k) => [`${k}:`, typeof doc.metadata!.metadata[k] === 'string' ? (doc.metadata!.metadata[k] as string) : JSON.stringify(doc.metadata!.metadata[k])]), '    '));
    }
  }
  out.push('', 'Images:');
  out.push(...aligned([['NAME', 'DIGEST'], ...doc.components.map((c) => [c.name, c.digest])], '  '));
  if (doc.warnings.length > 0) out.push('', 'Warnings:', ...doc.warnings.map((w) => `* ${w}`));
  return `${out.join('\n')}\n\n`;
}
