/**
 * What a chart needs mirrored: it is rendered with its default values
 * (chart/render.ts) and every rendered manifest is searched for images
 * (chart/images.ts). Templates that cannot be rendered, outputs that are not
 * YAML and image strings that are not references are all returned by name,
 * never dropped silently. Short Docker Hub names are qualified
 * (`nginx:1` → `docker.io/library/nginx:1`), as a container runtime does.
 */
import { InvalidReferenceError, parseImageName } from '../reference/image-name.js';
import { imagesOf, manifestDocuments } from './chart/images.js';
import type { Chart } from './chart/load.js';
import { renderChart, type RenderFailure } from './chart/render.js';

export interface ChartImage {
  /** Fully qualified reference. */
  readonly image: string;
  /** As the manifest wrote it. */
  readonly written: string;
  /** Templates whose output named it. */
  readonly templates: readonly string[];
}

export interface ChartImages {
  readonly images: readonly ChartImage[];
  readonly failures: readonly RenderFailure[];
  /** Image strings that are not references (v2 skips them too), with why. */
  readonly skipped: ReadonlyArray<{ readonly image: string; readonly template: string; readonly why: string }>;
  readonly disabled: readonly string[];
  readonly rendered: number;
}

/** `docker.io/library/x` for `x`, `docker.io/o/x` for `o/x`; undefined with a reason when it is no reference. */
export function qualifyImage(written: string): { image: string } | { why: string } {
  try {
    const n = parseImageName(written);
    const registry = n.registry ?? 'docker.io';
    const repository = n.registry === undefined && !n.repository.includes('/') ? `library/${n.repository}` : n.repository;
    const tag = n.tag === undefined && n.digest === undefined ? 'latest' : n.tag;
    return { image: `${registry}/${repository}${tag !== undefined ? `:${tag}` : ''}${n.digest !== undefined ? `@${n.digest}` : ''}` };
  } catch (e) {
    if (e instanceof InvalidReferenceError) return { why: e.message };
    throw e;
  }
}

export function chartImages(chart: Chart, imagePaths: readonly string[]): ChartImages {
  const r = renderChart(chart);
  const failures: RenderFailure[] = [...r.failures];
  const byImage = new Map<string, { written: string; templates: string[] }>();
  const skipped: Array<{ image: string; template: string; why: string }> = [];
  for (const t of r.templates) {
    if (!/\.(ya?ml|json)$/.test(t.name)) continue;
    let docs: unknown[];
    try {
      docs = manifestDocuments(t.content);
    } catch (e) {
      failures.push({ chart: t.chart, file: t.name, line: 0, why: (e as Error).message });
      continue;
    }
    for (const written of imagesOf(docs, imagePaths)) {
      const q = qualifyImage(written);
      if ('why' in q) {
        skipped.push({ image: written, template: t.name, why: q.why });
        continue;
      }
      const e = byImage.get(q.image);
      if (e === undefined) byImage.set(q.image, { written, templates: [t.name] });
      else if (!e.templates.includes(t.name)) e.templates.push(t.name);
    }
  }
  const images = [...byImage].map(([image, e]) => ({ image, written: e.written, templates: e.templates })).sort((a, b) => (a.image < b.image ? -1 : 1));
  return { images, failures, skipped, disabled: r.disabled, rendered: r.templates.length };
}
