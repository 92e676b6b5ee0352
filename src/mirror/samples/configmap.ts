/**
 * The Cluster Samples Operator's `imagestreamtag-to-image` ConfigMap
 * (namespace openshift-cluster-samples-operator, seed §4.3.6), as
 * `oc get cm imagestreamtag-to-image -o yaml` or `-o json` writes it (a
 * `kind: List` holding that one ConfigMap is accepted too). Each `data` key is
 * `<imagestream>_<tag>` and its value the image the tag imports, by tag or by
 * digest. Image stream names are DNS names (no `_`), so the key splits at the
 * first `_`; the tag keeps any later ones.
 */
import { isMap, parseDocument } from 'yaml';
import { InvalidReferenceError, parseRegistryRef } from '../../reference/image-name.js';
import { INPUT_LIMITS, InputFileError, readInputFile } from '../../util/input-file.js';

export const SAMPLES_CONFIGMAP = 'imagestreamtag-to-image';

/** A user-facing error about the ConfigMap: one line, `FILE: what is wrong`. */
export class SamplesConfigMapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SamplesConfigMapError';
  }
}

/** One image stream tag of the ConfigMap. */
export interface SampleTag {
  /** The image stream, e.g. `ruby`. */
  readonly stream: string;
  /** Its tag, e.g. `3.1-ubi8`. */
  readonly tag: string;
  /** The `data` key, `<stream>_<tag>`. */
  readonly key: string;
  /** The image, fully qualified, by tag or by digest (as written). */
  readonly image: string;
}

const STREAM = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function configMapOf(file: string, doc: unknown): Record<string, unknown> {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new SamplesConfigMapError(`${file}: not a ConfigMap (expected kind: ConfigMap with data: {<imagestream>_<tag>: image}, as oc get cm ${SAMPLES_CONFIGMAP} -o yaml writes it)`);
  const o = doc as Record<string, unknown>;
  if (o.kind === 'List' && Array.isArray(o.items)) {
    const cms = o.items.filter((i) => i !== null && typeof i === 'object' && (i as Record<string, unknown>).kind === 'ConfigMap');
    if (cms.length !== 1) throw new SamplesConfigMapError(`${file}: the List holds ${cms.length} ConfigMaps (expected exactly one, ${SAMPLES_CONFIGMAP})`);
    return cms[0] as Record<string, unknown>;
  }
  if (o.kind !== 'ConfigMap') throw new SamplesConfigMapError(`${file}: kind is ${JSON.stringify(o.kind ?? null)}, not ConfigMap (give the ${SAMPLES_CONFIGMAP} ConfigMap: oc get cm ${SAMPLES_CONFIGMAP} -n openshift-cluster-samples-operator -o yaml)`);
  return o;
}

/** The tags of the ConfigMap text, sorted by stream then tag. Throws SamplesConfigMapError. */
export function parseSamplesConfigMap(file: string, text: string): SampleTag[] {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) throw new SamplesConfigMapError(`${file}: not YAML or JSON (${doc.errors[0]!.message.split('\n')[0]})`);
  if (!isMap(doc.contents)) throw new SamplesConfigMapError(`${file}: not a ConfigMap (expected a mapping with kind: ConfigMap)`);
  const cm = configMapOf(file, doc.toJS({ maxAliasCount: 0 }));
  const data = cm.data;
  if (data === undefined || data === null) throw new SamplesConfigMapError(`${file}: the ConfigMap has no data (expected keys <imagestream>_<tag>)`);
  if (typeof data !== 'object' || Array.isArray(data)) throw new SamplesConfigMapError(`${file}: data must be a mapping of <imagestream>_<tag> to an image`);
  const out: SampleTag[] = [];
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    const cut = key.indexOf('_');
    const stream = cut > 0 ? key.slice(0, cut) : '';
    const tag = cut > 0 ? key.slice(cut + 1) : '';
    if (!STREAM.test(stream) || tag === '') throw new SamplesConfigMapError(`${file}: data key "${key}" is not <imagestream>_<tag>`);
    if (typeof value !== 'string' || value.trim() === '') throw new SamplesConfigMapError(`${file}: data.${key}: expected an image reference, got ${JSON.stringify(value)}`);
    const image = value.trim();
    try {
      const n = parseRegistryRef(image);
      if (n.tag === undefined && n.digest === undefined) throw new SamplesConfigMapError(`${file}: data.${key}: "${image}" needs a tag or a digest`);
    } catch (e) {
      if (e instanceof InvalidReferenceError) throw new SamplesConfigMapError(`${file}: data.${key}: ${e.message}`);
      throw e;
    }
    out.push({ stream, tag, key, image });
  }
  if (out.length === 0) throw new SamplesConfigMapError(`${file}: the ConfigMap's data is empty (no image stream tags)`);
  return out.sort((a, b) => (a.stream === b.stream ? (a.tag < b.tag ? -1 : 1) : a.stream < b.stream ? -1 : 1));
}

export async function readSamplesConfigMap(file: string): Promise<SampleTag[]> {
  let text: string;
  try {
    text = await readInputFile(file, 'samples ConfigMap', INPUT_LIMITS.config);
  } catch (e) {
    if (e instanceof InputFileError) throw new SamplesConfigMapError(e.message);
    throw new SamplesConfigMapError(`${file}: cannot read the ConfigMap (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseSamplesConfigMap(file, text);
}

/** The image streams of the tags, sorted, each once. */
export function streamsOf(tags: readonly SampleTag[]): string[] {
  return [...new Set(tags.map((t) => t.stream))].sort();
}

/**
 * The tags of the chosen streams (`only` undefined: all). A name in `only`
 * that the ConfigMap lacks is an error naming the streams it has.
 */
export function selectStreams(file: string, tags: readonly SampleTag[], only: readonly string[] | undefined): SampleTag[] {
  if (only === undefined) return [...tags];
  const have = streamsOf(tags);
  const unknown = only.filter((s) => !have.includes(s));
  if (unknown.length > 0) throw new SamplesConfigMapError(`${file}: no image stream ${unknown.join(', ')} in the ConfigMap (it has: ${have.join(', ')})`);
  return tags.filter((t) => only.includes(t.stream));
}
