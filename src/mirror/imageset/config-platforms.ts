/**
 * The newer per-entry fields of an ImageSetConfiguration (anchors §1.1):
 * `platforms[]` (`{os, architecture[, variant]}`, the sparse manifest-list
 * filter of oc-mirror 5.0) on `platform`, `operators[]` and
 * `additionalImages[]`, and `additionalImages[].targetRepo`/`targetTag`
 * (oc-mirror 4.22). Each is read from its YAML node with its position.
 */
import type { Node } from 'yaml';
import type { ConfigSource, MapEntry } from './yaml-nodes.js';

const PLATFORM_PART = /^[a-z0-9][a-z0-9_.-]*$/;
const TARGET_REPO = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TARGET_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** `platforms[]` as `os/arch[/variant]`, deduplicated; undefined when absent or empty. */
export function readPlatforms(src: ConfigSource, e: MapEntry | undefined, field: string): string[] | undefined {
  if (e === undefined) return undefined;
  const out: string[] = [];
  src.seq(e.value, field).forEach((node: Node, i) => {
    const f = `${field}[${i}]`;
    const m = src.map(node, f, ['os', 'architecture', 'variant']);
    const part = (k: 'os' | 'architecture' | 'variant', required: boolean): string | undefined => {
      const v = required ? src.string(m.get(k)?.value ?? node, `${f}.${k}`) : src.optionalString(m.get(k), `${f}.${k}`);
      if (v !== undefined && !PLATFORM_PART.test(v)) src.fail(m.get(k)!.value, `${f}.${k}`, `"${v}" is not a platform ${k} (lowercase letters, digits, _ . -)`);
      return v;
    };
    if (m.get('os') === undefined) src.fail(node, f, 'needs "os" (such as linux)');
    if (m.get('architecture') === undefined) src.fail(node, f, 'needs "architecture" (such as amd64)');
    const os = part('os', true)!;
    const arch = part('architecture', true)!;
    const variant = part('variant', false);
    const p = `${os}/${arch}${variant !== undefined ? `/${variant}` : ''}`;
    if (!out.includes(p)) out.push(p);
  });
  return out.length > 0 ? out : undefined;
}

/** `targetRepo`: a repository path below the destination (no registry host, no tag). */
export function readTargetRepo(src: ConfigSource, e: MapEntry | undefined, field: string): string | undefined {
  const v = src.optionalString(e, field, 'a repository path such as team/tools');
  if (v !== undefined && !TARGET_REPO.test(v)) src.fail(e!.value, field, `"${v}" is not a repository path below the destination (lowercase letters, digits, . _ - and /; no registry host, tag or digest)`);
  return v;
}

/** `targetTag`: a tag. */
export function readTargetTag(src: ConfigSource, e: MapEntry | undefined, field: string): string | undefined {
  const v = src.optionalString(e, field, 'a tag');
  if (v !== undefined && !TARGET_TAG.test(v)) src.fail(e!.value, field, `"${v}" is not a tag (letters, digits, _ . -; at most 128)`);
  return v;
}
