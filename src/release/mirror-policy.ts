/**
 * --idms-file / --icsp-file: digest mirrors as a cluster would apply them
 * (CRI-O's rule): for an image referenced by digest whose repository is a
 * source (or lies under one), the mirrors are tried first, in file order,
 * and the source last (unless `mirrorSourcePolicy: NeverContactSource`).
 * Tags never use mirrors. Accepts ImageDigestMirrorSet, ImageContentSourcePolicy
 * and install-config style `imageDigestSources`/`imageContentSources`.
 */
import { parseAllDocuments } from 'yaml';
import { parseImageName, type ImageName, type RegistryRef } from '../reference/image-name.js';

export interface DigestMirrors {
  readonly source: string;
  readonly mirrors: readonly string[];
  readonly neverContactSource?: boolean;
}

export class MirrorPolicyError extends Error {
  readonly code = 'ERR_RELEASE_EXTRACT';
}

function entries(list: unknown, where: string): DigestMirrors[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new MirrorPolicyError(`${where}: expected a list of {source, mirrors}`);
  return list.map((e: { source?: unknown; mirrors?: unknown; mirrorSourcePolicy?: unknown }, i) => {
    if (typeof e?.source !== 'string' || e.source === '') throw new MirrorPolicyError(`${where}[${i}]: no source`);
    const mirrors = e.mirrors ?? [];
    if (!Array.isArray(mirrors) || mirrors.some((m) => typeof m !== 'string')) throw new MirrorPolicyError(`${where}[${i}]: mirrors must be a list of repositories`);
    return { source: e.source, mirrors: mirrors as string[], ...(e.mirrorSourcePolicy === 'NeverContactSource' ? { neverContactSource: true } : {}) };
  });
}

/** Parses every document of an IDMS/ICSP file (`file` names it in errors). */
export function parseMirrorPolicy(text: string, file: string): DigestMirrors[] {
  const out: DigestMirrors[] = [];
  for (const [i, doc] of parseAllDocuments(text).entries()) {
    if (doc.errors.length > 0) throw new MirrorPolicyError(`${file}: document ${i + 1}: ${doc.errors[0]!.message}`);
    const o = doc.toJS() as { kind?: string; spec?: Record<string, unknown>; imageDigestSources?: unknown; imageContentSources?: unknown } | null;
    if (o === null || typeof o !== 'object') continue;
    const where = `${file}: document ${i + 1}`;
    if (o.kind === 'ImageDigestMirrorSet') out.push(...entries(o.spec?.imageDigestMirrors, `${where} spec.imageDigestMirrors`));
    else if (o.kind === 'ImageContentSourcePolicy') out.push(...entries(o.spec?.repositoryDigestMirrors, `${where} spec.repositoryDigestMirrors`));
    else if (o.kind === 'List' && Array.isArray((o as { items?: unknown[] }).items)) out.push(...parseMirrorPolicy((o as { items: unknown[] }).items.map((x) => JSON.stringify(x)).join('\n---\n'), file));
    else if (o.imageDigestSources !== undefined || o.imageContentSources !== undefined) {
      out.push(...entries(o.imageDigestSources, `${where} imageDigestSources`), ...entries(o.imageContentSources, `${where} imageContentSources`));
    } else if (o.kind !== undefined) throw new MirrorPolicyError(`${where}: expected ImageDigestMirrorSet or ImageContentSourcePolicy, got ${o.kind}`);
  }
  return out;
}

/** Where to try `name` (by digest) from: mirrors in order, then the source. Tags: only the source. */
export function pullCandidates(name: RegistryRef, policy: readonly DigestMirrors[]): RegistryRef[] {
  if (name.digest === undefined) return [name];
  const repo = `${name.registry}/${name.repository}`;
  const out: RegistryRef[] = [];
  const seen = new Set<string>();
  let contactSource = true;
  for (const p of policy) {
    const src = p.source.replace(/\/+$/, '');
    if (repo !== src && !repo.startsWith(`${src}/`)) continue;
    if (p.neverContactSource) contactSource = false;
    for (const m of p.mirrors) {
      const mapped = `${m.replace(/\/+$/, '')}${repo.slice(src.length)}@${name.digest}`;
      let parsed: ImageName;
      try {
        parsed = parseImageName(mapped);
      } catch {
        continue;
      }
      if (parsed.registry === undefined || seen.has(mapped)) continue;
      seen.add(mapped);
      out.push(parsed as RegistryRef);
    }
  }
  if (contactSource || out.length === 0) out.push(name);
  return out;
}
