/**
 * `/release-manifests/release-metadata` (Cincinnati metadata, written by
 * `oc adm release new`): the version, the versions it upgrades from, and
 * free-form metadata (errata URL, …).
 */
import { comparePrerelease } from '../catalog/semver.js';
import { ReleasePayloadError } from './image-references.js';

export interface ReleaseMetadata {
  kind: 'cincinnati-metadata-v0';
  version: string;
  previous: string[];
  next?: string[];
  metadata?: Record<string, unknown>;
}

export function parseReleaseMetadata(text: string): ReleaseMetadata {
  let doc: Partial<ReleaseMetadata> | null;
  try {
    doc = JSON.parse(text) as Partial<ReleaseMetadata> | null;
  } catch (e) {
    throw new ReleasePayloadError(`unable to load release-metadata from release payload: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || doc.kind !== 'cincinnati-metadata-v0') {
    throw new ReleasePayloadError('release-metadata is not cincinnati-metadata-v0');
  }
  if (typeof doc.version !== 'string' || doc.version === '') throw new ReleasePayloadError('release-metadata has no version');
  const list = (v: unknown, what: string): string[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new ReleasePayloadError(`release-metadata: ${what} is not a list of versions`);
    return v as string[];
  };
  return {
    kind: 'cincinnati-metadata-v0',
    version: doc.version,
    previous: list(doc.previous, 'previous'),
    ...(doc.next !== undefined ? { next: list(doc.next, 'next') } : {}),
    ...(doc.metadata && typeof doc.metadata === 'object' ? { metadata: doc.metadata } : {}),
  };
}

export function buildReleaseMetadata(version: string, previous: readonly string[] = [], metadata?: Record<string, unknown>): ReleaseMetadata {
  return {
    kind: 'cincinnati-metadata-v0',
    version,
    previous: sortVersions(previous),
    ...(metadata && Object.keys(metadata).length > 0 ? { metadata } : {}),
  };
}

const SEMVER = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

/** Semantic-version order (as oc prints Upgrades); input order when any is not semver. */
export function sortVersions(versions: readonly string[]): string[] {
  const parsed = versions.map((v) => ({ v, m: SEMVER.exec(v) }));
  if (parsed.some((p) => p.m === null)) return [...versions];
  return parsed
    .sort((a, b) => {
      for (let i = 1; i <= 3; i++) {
        const d = Number(a.m![i]) - Number(b.m![i]);
        if (d !== 0) return d;
      }
      return comparePrerelease(a.m![4], b.m![4]);
    })
    .map((p) => p.v);
}
