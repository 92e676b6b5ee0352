/**
 * Renders a chart as `helm template` does with default values: every
 * template of the chart and of its enabled subcharts is parsed into ONE set
 * (deeper charts first, so a parent's `define` wins), then each non-partial
 * template (`_*` files are partials; library charts contribute only
 * partials; NOTES.txt is dropped, as oc-mirror does) is executed with its
 * chart's `.Values`, `.Chart`, `.Release`, `.Capabilities`, `.Template` and
 * `.Files`. A template that cannot be parsed or executed is returned as a
 * failure (chart, file, line, why); the others still render.
 */
import { TemplateError } from '../template/errors.js';
import { Renderer } from '../template/exec.js';
import { helmFuncs } from '../template/funcs.js';
import { isMap, type GoMap } from '../template/values.js';
import type { Chart } from './load.js';
import { coalesceValues, enabled, enabledCharts, type ScopedChart } from './values.js';

export interface RenderedTemplate {
  /** `root/charts/sub/templates/x.yaml`, Helm's template name. */
  readonly name: string;
  /** The chart that holds it (`root` or `root/sub`). */
  readonly chart: string;
  readonly content: string;
}

export interface RenderFailure {
  readonly chart: string;
  /** The template name (or `Chart.yaml` for chart-level problems). */
  readonly file: string;
  /** 0 when there is no line. */
  readonly line: number;
  readonly why: string;
}

export interface RenderResult {
  readonly templates: readonly RenderedTemplate[];
  readonly failures: readonly RenderFailure[];
  /** Subcharts left out by their condition or tags (`root/sub`). */
  readonly disabled: readonly string[];
}

/** Helm's DefaultCapabilities (the Kubernetes version its client libraries carry). */
const KUBE = { Version: 'v1.31.0', Major: '1', Minor: '31', GitVersion: 'v1.31.0', String: () => 'v1.31.0' };
const API_VERSIONS = [
  'v1', 'apps/v1', 'batch/v1', 'autoscaling/v1', 'autoscaling/v2', 'policy/v1', 'networking.k8s.io/v1', 'rbac.authorization.k8s.io/v1',
  'apiextensions.k8s.io/v1', 'admissionregistration.k8s.io/v1', 'storage.k8s.io/v1', 'coordination.k8s.io/v1', 'scheduling.k8s.io/v1',
  'certificates.k8s.io/v1', 'discovery.k8s.io/v1', 'node.k8s.io/v1', 'events.k8s.io/v1', 'apiregistration.k8s.io/v1', 'authentication.k8s.io/v1',
  'authorization.k8s.io/v1', 'flowcontrol.apiserver.k8s.io/v1', 'resource.k8s.io/v1alpha3',
];

const GO_FIELD: Record<string, string> = { apiVersion: 'APIVersion', appVersion: 'AppVersion', kubeVersion: 'KubeVersion' };

function chartObject(c: Chart, isRoot: boolean): GoMap {
  const out: GoMap = { Name: c.metadata.name, Version: c.metadata.version, AppVersion: c.metadata.appVersion ?? '', Description: c.metadata.description ?? '', Type: c.metadata.type, APIVersion: c.metadata.apiVersion, IsRoot: isRoot };
  for (const [k, v] of Object.entries(c.metadata.raw)) {
    const g = GO_FIELD[k] ?? k.charAt(0).toUpperCase() + k.slice(1);
    if (!(g in out)) out[g] = v;
  }
  return out;
}

function globToRegExp(g: string): RegExp {
  const parts = g.split('**').map((p) => p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]'));
  return new RegExp(`^${parts.join('.*')}$`);
}

function filesObject(files: ReadonlyMap<string, Buffer>): GoMap {
  const text = (n: string): string => files.get(n)?.toString('utf8') ?? '';
  const asMap = (enc: 'utf8' | 'base64'): string => {
    const keys = [...files.keys()].sort();
    if (keys.length === 0) return '';
    return keys.map((k) => `${JSON.stringify(k.split('/').pop())}: ${JSON.stringify(files.get(k)!.toString(enc))}`).join('\n');
  };
  return {
    Get: (n: unknown) => text(String(n)),
    GetBytes: (n: unknown) => files.get(String(n)) ?? new Uint8Array(),
    Lines: (n: unknown) => text(String(n)).split('\n'),
    Glob: (g: unknown) => {
      const re = globToRegExp(String(g));
      return filesObject(new Map([...files].filter(([k]) => re.test(k))));
    },
    AsConfig: () => asMap('utf8'),
    AsSecrets: () => asMap('base64'),
  };
}

interface Entry {
  readonly name: string;
  readonly chart: string;
  readonly src: string;
  readonly scope: ScopedChart;
  readonly values: GoMap;
  readonly basePath: string;
  readonly isRoot: boolean;
}

export function renderChart(root: Chart, releaseName = 'release-name', namespace = 'default'): RenderResult {
  const disabled: string[] = [];
  const failures: RenderFailure[] = [];
  const scoped = enabledCharts(root, disabled);
  const values = coalesceValues(scoped);
  const entries: Entry[] = [];
  const visit = (s: ScopedChart, vals: GoMap, id: string, chartPath: string, isRoot: boolean, prefix: string): void => {
    const present = new Set(s.chart.subcharts.map((c) => c.metadata.name));
    for (const d of s.chart.metadata.dependencies) {
      // a missing dependency its condition or tags turn off has no images to miss
      if (!present.has(d.name) && enabled(d, values, prefix)) failures.push({ chart: chartPath, file: `${id}/Chart.yaml`, line: 0, why: `dependency ${d.name} is listed in Chart.yaml but missing in the charts/ directory (its images cannot be found)` });
    }
    for (const t of s.chart.templates) {
      const base = t.path.split('/').pop()!;
      const partial = base.startsWith('_');
      if (s.chart.metadata.type === 'library' && !partial) continue;
      entries.push({ name: `${id}/${t.path}`, chart: chartPath, src: t.data, scope: s, values: vals, basePath: `${id}/templates`, isRoot });
    }
    for (const sub of s.subcharts) visit(sub, isMap(vals[sub.name]) ? (vals[sub.name] as GoMap) : {}, `${id}/charts/${sub.name}`, `${chartPath}/${sub.name}`, false, `${prefix}${sub.name}.`);
  };
  visit(scoped, values, root.metadata.name, root.metadata.name, true, '');
  entries.sort((a, b) => b.name.split('/').length - a.name.split('/').length || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const r = new Renderer(helmFuncs());
  const parsed: Entry[] = [];
  for (const e of entries) {
    try {
      r.add(e.name, e.src);
      parsed.push(e);
    } catch (err) {
      failures.push(failure(e, err));
    }
  }
  const templates: RenderedTemplate[] = [];
  const capabilities = { KubeVersion: KUBE, APIVersions: { Has: (v: unknown) => API_VERSIONS.includes(String(v)) || API_VERSIONS.includes(String(v).split('/').slice(0, -1).join('/')) }, HelmVersion: { Version: 'v3.16.0' } };
  const release = { Name: releaseName, Namespace: namespace, IsInstall: true, IsUpgrade: false, Revision: 1, Service: 'Helm' };
  for (const e of parsed.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const base = e.name.split('/').pop()!;
    if (base.startsWith('_') || base === 'NOTES.txt') continue;
    const data: GoMap = {
      Values: e.values,
      Chart: chartObject(e.scope.chart, e.isRoot),
      Release: release,
      Capabilities: capabilities,
      Template: { Name: e.name, BasePath: e.basePath },
      Files: filesObject(e.scope.chart.files),
      Subcharts: Object.fromEntries(e.scope.subcharts.map((s) => [s.name, { Values: e.values[s.name] ?? {}, Chart: chartObject(s.chart, false) }])),
    };
    try {
      templates.push({ name: e.name, chart: e.chart, content: r.execute(e.name, data) });
    } catch (err) {
      failures.push(failure(e, err));
    }
  }
  return { templates, failures, disabled };
}

function failure(e: Entry, err: unknown): RenderFailure {
  if (err instanceof TemplateError) return err.template === e.name || err.template === '' ? { chart: e.chart, file: e.name, line: err.line, why: err.why } : { chart: e.chart, file: err.template, line: err.line, why: `${err.why} (while rendering ${e.name})` };
  if (err instanceof RangeError) return { chart: e.chart, file: e.name, line: 0, why: `rendering recursed too deeply (${err.message})` };
  // anything else is still this template's failure, never the whole run's
  return { chart: e.chart, file: e.name, line: 0, why: (err as Error).message ?? String(err) };
}
