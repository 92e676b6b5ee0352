/**
 * Images named by rendered manifests. oc-mirror v2 evaluates Kubernetes
 * JSONPath expressions on each YAML document: its defaults
 * (DEFAULT_IMAGE_PATHS) plus the chart's `imagePaths`. airlock also walks
 * every document for container lists (`containers`, `initContainers`,
 * `ephemeralContainers` anywhere: CronJobs, pod templates inside custom
 * resources), which v2's defaults miss.
 *
 * The JSONPath subset: `{.a.b}`, `[*]`, `[N]`, `['key']`, `..name`
 * (recursive descent). A path outside it is an error naming it.
 */
import { parseAllDocuments } from 'yaml';
import { isMap } from '../template/values.js';

export const DEFAULT_IMAGE_PATHS = ['{.spec.template.spec.initContainers[*].image}', '{.spec.template.spec.containers[*].image}', '{.spec.initContainers[*].image}', '{.spec.containers[*].image}'] as const;

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

export class ImagePathError extends Error {
  readonly code = 'ERR_HELM_IMAGE_PATH';
}

type Step = { readonly k: 'key'; readonly name: string } | { readonly k: 'all' } | { readonly k: 'index'; readonly i: number } | { readonly k: 'descend'; readonly name: string };

/** Parses a JSONPath expression of the subset. Throws ImagePathError. */
export function parseImagePath(path: string): Step[] {
  const m = /^\{(.*)\}$/.exec(path.trim());
  let body = (m ? m[1]! : path).trim();
  if (body.startsWith('$')) body = body.slice(1);
  const steps: Step[] = [];
  const re = /^(?:\.\.([A-Za-z0-9_-]+)|\.([A-Za-z0-9_-]+)|\[\*\]|\[(-?\d+)\]|\[['"]([^'"]+)['"]\])/;
  while (body !== '') {
    const x = re.exec(body);
    if (x === null) throw new ImagePathError(`image path ${JSON.stringify(path)}: unsupported JSONPath at ${JSON.stringify(body)} (supported: .field, [*], [N], ['key'], ..field)`);
    if (x[1] !== undefined) steps.push({ k: 'descend', name: x[1] });
    else if (x[2] !== undefined) steps.push({ k: 'key', name: x[2] });
    else if (x[3] !== undefined) steps.push({ k: 'index', i: Number(x[3]) });
    else if (x[4] !== undefined) steps.push({ k: 'key', name: x[4] });
    else steps.push({ k: 'all' });
    body = body.slice(x[0].length);
  }
  if (steps.length === 0) throw new ImagePathError(`image path ${JSON.stringify(path)}: empty`);
  return steps;
}

function descend(v: unknown, name: string, out: unknown[]): void {
  if (Array.isArray(v)) for (const x of v) descend(x, name, out);
  else if (isMap(v)) {
    if (Object.prototype.hasOwnProperty.call(v, name)) out.push(v[name]);
    for (const x of Object.values(v)) descend(x, name, out);
  }
}

export function evaluate(doc: unknown, steps: readonly Step[]): unknown[] {
  let cur: unknown[] = [doc];
  for (const s of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      if (s.k === 'key' && isMap(v) && Object.prototype.hasOwnProperty.call(v, s.name)) next.push(v[s.name]);
      else if (s.k === 'all' && Array.isArray(v)) next.push(...v);
      else if (s.k === 'all' && isMap(v)) next.push(...Object.values(v));
      else if (s.k === 'index' && Array.isArray(v)) {
        const x = v[s.i < 0 ? v.length + s.i : s.i];
        if (x !== undefined) next.push(x);
      } else if (s.k === 'descend') descend(v, s.name, next);
    }
    cur = next;
  }
  return cur;
}

function walkContainers(v: unknown, out: string[]): void {
  if (Array.isArray(v)) for (const x of v) walkContainers(x, out);
  else if (isMap(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (CONTAINER_LISTS.has(k) && Array.isArray(x)) for (const c of x) if (isMap(c) && typeof c.image === 'string') out.push(c.image);
      walkContainers(x, out);
    }
  }
}

export interface FoundImage {
  readonly image: string;
  /** The template whose output named it. */
  readonly template: string;
}

/** The documents of one rendered template; YAML it cannot parse is an error (the template's output is not YAML). */
export function manifestDocuments(content: string): unknown[] {
  const docs = parseAllDocuments(content);
  const list = Array.isArray(docs) ? docs : [docs];
  const out: unknown[] = [];
  for (const d of list) {
    if (d.errors.length > 0) throw new Error(`the rendered output is not YAML: ${d.errors[0]!.message.split('\n')[0]}`);
    const v = d.toJS({ maxAliasCount: 1000 }) as unknown;
    if (v !== null && v !== undefined) out.push(v);
  }
  return out;
}

/** Images in `docs` by the default paths, `extra` paths and the container walk; in order of appearance, deduplicated. */
export function imagesOf(docs: readonly unknown[], extra: readonly string[]): string[] {
  const steps = [...DEFAULT_IMAGE_PATHS, ...extra].map(parseImagePath);
  const found: string[] = [];
  for (const d of docs) {
    for (const s of steps) for (const v of evaluate(d, s)) if (typeof v === 'string') found.push(v);
    walkContainers(d, found);
  }
  return [...new Set(found.map((x) => x.trim()).filter((x) => x !== ''))];
}
