/**
 * One writer for the three mirror-set kinds (ICSP, IDMS, ITMS): a single
 * document (release mirror's output), or a `---`-separated stream of
 * documents named `<name>-0`, `<name>-1`, … each at most `maxSize` bytes
 * (oc adm catalog mirror's --max-icsp-size / --max-idms-size).
 */
import { mirrorSetEntries, type MirrorSet } from './mirror-sets.js';
import { resourceName } from './names.js';
import { yamlScalar, yamlStringMap } from './yaml.js';

export interface MirrorSetKind {
  readonly apiVersion: string;
  readonly kind: string;
  /** The `spec` key holding the entries: `repositoryDigestMirrors`, `imageDigestMirrors`, `imageTagMirrors`. */
  readonly specKey: string;
}

export interface DocumentMeta {
  /** Sanitised to a resource name (names.ts). */
  readonly name: string;
  /** `metadata.labels`, e.g. `{ 'operators.openshift.org/catalog': 'true' }`. */
  readonly labels?: Readonly<Record<string, string>>;
  /** `metadata.annotations` (oc-mirror v2's createdAt/createdBy…), before the labels as sorted keys put them. */
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface SplitOptions extends DocumentMeta {
  /** Largest document in bytes, its `---\n` separator not counted (default 250000, oc's). */
  readonly maxSize?: number;
}

export const DEFAULT_MAX_DOCUMENT_SIZE = 250_000;

function header(kind: MirrorSetKind, name: string, labels: Readonly<Record<string, string>> | undefined, annotations?: Readonly<Record<string, string>>): string {
  const a = annotations !== undefined && Object.keys(annotations).length > 0 ? `  annotations:\n${yamlStringMap(annotations, '    ')}` : '';
  const l = labels !== undefined && Object.keys(labels).length > 0 ? `  labels:\n${yamlStringMap(labels, '    ')}` : '';
  return `apiVersion: ${kind.apiVersion}\nkind: ${kind.kind}\nmetadata:\n${a}${l}  name: ${yamlScalar(name)}\nspec:\n  ${kind.specKey}:\n`;
}

/** One document holding every set, named `meta.name` (no `---`). */
export function mirrorSetDocument(kind: MirrorSetKind, sets: readonly MirrorSet[], meta: DocumentMeta): string {
  return header(kind, resourceName(meta.name), meta.labels, meta.annotations) + mirrorSetEntries(sets, '  ');
}

/**
 * The sets in as few documents as fit `maxSize`, in order, each preceded by
 * `---\n` and named `<name>-<i>`. Entries are never cut: one that alone is
 * larger than `maxSize` gets a document of its own. No sets, no documents ('').
 */
export function mirrorSetDocuments(kind: MirrorSetKind, sets: readonly MirrorSet[], o: SplitOptions): string {
  const max = o.maxSize ?? DEFAULT_MAX_DOCUMENT_SIZE;
  const docs: string[] = [];
  let entries: string[] = [];
  let size = 0;
  let head = header(kind, resourceName(o.name, '-0'), o.labels, o.annotations);
  const flush = (): void => {
    docs.push(`---\n${head}${entries.join('')}`);
    head = header(kind, resourceName(o.name, `-${docs.length}`), o.labels, o.annotations);
    entries = [];
    size = 0;
  };
  for (const set of sets) {
    const entry = mirrorSetEntries([set], '  ');
    const bytes = Buffer.byteLength(entry);
    if (entries.length > 0 && Buffer.byteLength(head) + size + bytes > max) flush();
    entries.push(entry);
    size += bytes;
  }
  if (entries.length > 0) flush();
  return docs.join('');
}
