/**
 * The helm collector: charts from Helm repositories (index.yaml + archives
 * over HTTP) and local directories or archives become plan items:
 * - every image the chart's manifests name when rendered with its default
 *   values (helm/chart-images.ts), to `<dest>/<source path>:<tag>` as v2
 *   names additional images, origin `helm`;
 * - the chart itself as an OCI Helm chart (helm/oci-chart.ts), built into
 *   the OCI layout `<dir>/oci` and copied to `<dest>/<chartsPath>/<name>:<version>`
 *   so `helm pull oci://DEST/<chartsPath>/<name> --version V` works.
 * Chart archives are kept in `<dir>/charts/<name>-<version>.tgz` and each
 * repository's index in `<dir>/indexes/<host>/<path>/index.yaml` (v2's
 * working-dir/helm layout). A repository or chart that cannot be read, and
 * every template that cannot be rendered, is a failure in `info`; the rest
 * goes on.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ChartLoadError, readChartArchive, readChartDir, type ChartFiles } from '../../helm/chart/archive.js';
import { loadChart, type Chart } from '../../helm/chart/load.js';
import type { RenderFailure } from '../../helm/chart/render.js';
import { chartImages } from '../../helm/chart-images.js';
import { chartArtifact, packageChart, writeChartArtifact } from '../../helm/oci-chart.js';
import { allCharts, downloadChart, fetchIndex, findEntry, HelmRepoError, type IndexEntry } from '../../helm/repo.js';
import { parseImageReference } from '../../transports/all.js';
import { ociLayoutReference } from '../../transports/oci-layout/layout-transport.js';
import { openDestination } from '../../transports/open.js';
import type { Collected, Collector, CollectorContext } from '../collector.js';
import type { HelmSpec } from '../imageset/config-helm.js';
import { destRepository, v2Target } from '../imageset/naming.js';
import type { PlanItem } from '../plan.js';

export const DEFAULT_CHARTS_PATH = 'helm-charts';

export interface HelmInput {
  readonly spec: HelmSpec;
  /** `host[:port][/prefix]`. */
  readonly dest: string;
  readonly maxNestedPaths: number;
  /** Where archives, indexes and the OCI layout of charts are written (v2: working-dir/helm). */
  readonly dir: string;
  /** Repository path of pushed charts under the destination (default `helm-charts`). */
  readonly chartsPath?: string;
}

export interface HelmChartInfo {
  readonly name: string;
  readonly version: string;
  /** Repository URL or local path. */
  readonly source: string;
  readonly archive: string;
  /** `DEST/…/name:tag` the OCI chart goes to, and its manifest digest. */
  readonly artifact: { readonly reference: string; readonly digest: string };
  readonly images: ReadonlyArray<{ readonly image: string; readonly templates: readonly string[] }>;
  readonly rendered: number;
  readonly failures: readonly RenderFailure[];
  readonly skipped: ReadonlyArray<{ readonly image: string; readonly template: string; readonly why: string }>;
  readonly disabled: readonly string[];
}

export interface HelmInfo {
  readonly charts: readonly HelmChartInfo[];
  /** Repositories and charts that could not be read. */
  readonly failures: ReadonlyArray<{ readonly what: string; readonly message: string }>;
  /** Per repository: how the charts were chosen and how many. */
  readonly selections: ReadonlyArray<{ readonly repository: string; readonly url: string; readonly all: boolean; readonly count: number }>;
}

interface Loaded {
  readonly chart: Chart;
  readonly archive: Buffer;
  readonly source: string;
  readonly imagePaths: readonly string[];
  readonly where: string;
}

function indexPath(url: string): string {
  const u = new URL(url);
  return join(u.host.replace(/:/g, '_'), ...u.pathname.split('/').filter((p) => p !== '' && p !== '..'), 'index.yaml');
}

export class HelmCollector implements Collector<HelmInfo> {
  readonly name = 'helm';

  constructor(private readonly o: HelmInput) {}

  private async loadRepos(failures: Array<{ what: string; message: string }>, selections: Array<HelmInfo['selections'][number]>): Promise<Loaded[]> {
    const out: Loaded[] = [];
    for (const r of this.o.spec.repositories) {
      let index;
      try {
        index = await fetchIndex(r.url);
      } catch (e) {
        if (!(e instanceof HelmRepoError)) throw e;
        failures.push({ what: r.where, message: e.message });
        continue;
      }
      const saved = join(this.o.dir, 'indexes', indexPath(r.url));
      await mkdir(dirname(saved), { recursive: true });
      await writeFile(saved, index.text);
      const wanted: Array<{ entry: IndexEntry; imagePaths: readonly string[]; where: string }> = [];
      if (r.charts === undefined) for (const entry of allCharts(index)) wanted.push({ entry, imagePaths: [], where: r.where });
      else {
        for (const c of r.charts) {
          try {
            wanted.push({ entry: findEntry(index, c.name, c.version), imagePaths: c.imagePaths, where: c.where });
          } catch (e) {
            if (!(e instanceof HelmRepoError)) throw e;
            failures.push({ what: `chart ${c.name}${c.version ? `-${c.version}` : ''} (${c.where})`, message: e.message });
          }
        }
      }
      selections.push({ repository: r.name, url: r.url, all: r.charts === undefined, count: wanted.length });
      // downloads four at a time; results kept in index order
      const got: Array<Loaded | undefined> = new Array(wanted.length);
      let next = 0;
      const worker = async (): Promise<void> => {
        for (let k = next++; k < wanted.length; k = next++) {
          const w = wanted[k]!;
          const what = `chart ${w.entry.name}-${w.entry.version} from ${r.url}`;
          try {
            const archive = await downloadChart(index, w.entry);
            const chart = await loadChart(await readChartArchive(archive, what), what);
            got[k] = { chart, archive, source: r.url, imagePaths: w.imagePaths, where: w.where };
          } catch (e) {
            if (!(e instanceof HelmRepoError) && !(e instanceof ChartLoadError)) throw e;
            failures.push({ what: `${what} (${w.where})`, message: e.message });
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(4, wanted.length) }, worker));
      out.push(...got.filter((x): x is Loaded => x !== undefined));
    }
    return out;
  }

  private async loadLocal(failures: Array<{ what: string; message: string }>): Promise<Loaded[]> {
    const out: Loaded[] = [];
    for (const l of this.o.spec.local) {
      try {
        let files: ChartFiles;
        let archive: Buffer | undefined;
        const st = await stat(l.path).catch((e: NodeJS.ErrnoException) => {
          throw new ChartLoadError(`${l.path}: cannot read the local chart (${e.code ?? e.message})`);
        });
        if (st.isDirectory()) files = await readChartDir(l.path);
        else {
          archive = await readFile(l.path);
          files = await readChartArchive(archive, l.path);
        }
        const chart = await loadChart(files, l.path);
        out.push({ chart, archive: archive ?? (await packageChart(chart.metadata.name, files)), source: l.path, imagePaths: l.imagePaths, where: l.where });
      } catch (e) {
        if (!(e instanceof ChartLoadError)) throw e;
        failures.push({ what: `local chart ${l.name} (${l.where})`, message: e.message });
      }
    }
    return out;
  }

  async collect(ctx: CollectorContext): Promise<Collected<HelmInfo>> {
    const failures: Array<{ what: string; message: string }> = [];
    const selections: Array<HelmInfo['selections'][number]> = [];
    const loaded = [...(await this.loadRepos(failures, selections)), ...(await this.loadLocal(failures))];
    const items: PlanItem[] = [];
    const charts: HelmChartInfo[] = [];
    const layout = join(this.o.dir, 'oci');
    await mkdir(join(this.o.dir, 'charts'), { recursive: true });
    const dst = await openDestination(ctx.env, ociLayoutReference(layout));
    const seen = new Map<string, string>();
    try {
      for (const l of loaded) {
        const { name, version } = l.chart.metadata;
        const key = `${name}-${version}`;
        const first = seen.get(key);
        if (first !== undefined) {
          if (first !== l.source) failures.push({ what: `chart ${key} (${l.where})`, message: `also comes from ${first}; the first one is mirrored` });
          continue;
        }
        seen.set(key, l.source);
        const archivePath = join(this.o.dir, 'charts', `${key}.tgz`);
        await writeFile(archivePath, l.archive);
        const a = chartArtifact(l.chart.metadata, l.archive);
        const refName = `${name}-${a.tag}`;
        await writeChartArtifact(dst, a, refName, ctx.signal);
        const repository = destRepository(this.o.dest, `${this.o.chartsPath ?? DEFAULT_CHARTS_PATH}/${name}`, this.o.maxNestedPaths);
        items.push({ source: ociLayoutReference(layout, refName), within: refName, targets: [{ ref: parseImageReference(repository), tag: a.tag }], origins: [{ kind: 'helm', component: 'chart', package: name, bundle: version }] });
        const found = chartImages(l.chart, l.imagePaths);
        for (const im of found.images) {
          const t = v2Target(im.image, this.o.dest, this.o.maxNestedPaths);
          const ref = parseImageReference(im.image);
          const within = im.image.includes('@') ? im.image.slice(im.image.indexOf('@') + 1) : im.image.slice(im.image.lastIndexOf(':') + 1);
          items.push({ source: ref, within, targets: [{ ref: parseImageReference(t.repository), tag: t.tag }], origins: [{ kind: 'helm', package: name, bundle: version, where: im.templates.join(', ') }] });
        }
        charts.push({ name, version, source: l.source, archive: archivePath, artifact: { reference: `${repository}:${a.tag}`, digest: a.digest }, images: found.images.map((i) => ({ image: i.image, templates: i.templates })), rendered: found.rendered, failures: found.failures, skipped: found.skipped, disabled: found.disabled });
      }
      await dst.commit(ctx.signal);
    } finally {
      await dst.close();
    }
    return { items, info: { charts, failures, selections } };
  }
}

/** One line per render failure: `chart NAME-VERSION: FILE:LINE: why`. */
export function renderFailureLines(info: HelmInfo): string[] {
  return info.charts.flatMap((c) => c.failures.map((f) => `chart ${c.name}-${c.version}: ${f.file}${f.line > 0 ? `:${f.line}` : ''}: ${f.why}`));
}
