/**
 * A loaded chart, as Helm's loader builds it from the chart's files:
 * `Chart.yaml` (apiVersion v1 or v2; v1 dependencies in `requirements.yaml`),
 * `values.yaml`, `templates/`, and subcharts under `charts/` (directories or
 * `.tgz` archives), each loaded the same way. Other files are kept for
 * `.Files`.
 */
import { parse as parseYaml } from 'yaml';
import { isMap, type GoMap } from '../template/values.js';
import { ChartLoadError, readChartArchive, type ChartFiles } from './archive.js';

export interface ChartDependency {
  readonly name: string;
  readonly version?: string;
  readonly repository?: string;
  readonly condition?: string;
  readonly tags: readonly string[];
  readonly alias?: string;
}

export interface ChartMetadata {
  readonly apiVersion: string;
  readonly name: string;
  readonly version: string;
  readonly appVersion?: string;
  readonly type: 'application' | 'library';
  readonly description?: string;
  readonly dependencies: readonly ChartDependency[];
  /** Chart.yaml as written, for `.Chart` (Go field names). */
  readonly raw: GoMap;
}

export interface Chart {
  readonly metadata: ChartMetadata;
  readonly values: GoMap;
  /** `templates/…` files, path relative to the chart root. */
  readonly templates: ReadonlyArray<{ readonly path: string; readonly data: string }>;
  /** Every file that is not a template, Chart.yaml, values.yaml or a subchart (for `.Files`). */
  readonly files: ReadonlyMap<string, Buffer>;
  /** Subcharts found under `charts/`, by their chart name. */
  readonly subcharts: readonly Chart[];
}

function yamlMap(text: string, what: string): GoMap {
  let v: unknown;
  try {
    v = parseYaml(text, { maxAliasCount: 1000 });
  } catch (e) {
    throw new ChartLoadError(`${what}: not valid YAML (${(e as Error).message.split('\n')[0]})`);
  }
  if (v === null || v === undefined) return {};
  if (!isMap(v)) throw new ChartLoadError(`${what}: must be a mapping`);
  // YAML → JSON → Go (Helm reads values through sigs.k8s.io/yaml)
  return JSON.parse(JSON.stringify(v)) as GoMap;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

function dependencies(v: unknown, what: string): ChartDependency[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ChartLoadError(`${what}: dependencies must be a list`);
  return v.map((d, i) => {
    if (!isMap(d) || typeof d.name !== 'string') throw new ChartLoadError(`${what}: dependencies[${i}] needs a name`);
    return {
      name: d.name,
      ...(str(d.version) !== undefined ? { version: str(d.version)! } : {}),
      ...(typeof d.repository === 'string' ? { repository: d.repository } : {}),
      ...(typeof d.condition === 'string' ? { condition: d.condition } : {}),
      tags: Array.isArray(d.tags) ? d.tags.filter((t): t is string => typeof t === 'string') : [],
      ...(typeof d.alias === 'string' && d.alias !== '' ? { alias: d.alias } : {}),
    };
  });
}

/** Loads a chart from its files; `what` names it in errors (archive path, URL or directory). */
export async function loadChart(files: ChartFiles, what: string): Promise<Chart> {
  const chartYaml = files.get('Chart.yaml');
  if (chartYaml === undefined) throw new ChartLoadError(`${what}: no Chart.yaml at the chart root`);
  const raw = yamlMap(chartYaml.toString('utf8'), `${what}: Chart.yaml`);
  const name = str(raw.name);
  const version = str(raw.version);
  if (!name) throw new ChartLoadError(`${what}: Chart.yaml: name is required`);
  if (!version) throw new ChartLoadError(`${what}: Chart.yaml: version is required`);
  const apiVersion = str(raw.apiVersion) ?? 'v1';
  const req = files.get('requirements.yaml');
  const deps = apiVersion === 'v1' && req !== undefined ? yamlMap(req.toString('utf8'), `${what}: requirements.yaml`).dependencies : raw.dependencies;
  const type = raw.type === 'library' ? 'library' : 'application';
  const values = files.has('values.yaml') ? yamlMap(files.get('values.yaml')!.toString('utf8'), `${what}: values.yaml`) : {};
  const templates: Array<{ path: string; data: string }> = [];
  const rest = new Map<string, Buffer>();
  const subFiles = new Map<string, ChartFiles>();
  const subArchives: Array<[string, Buffer]> = [];
  for (const [p, data] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (p.startsWith('templates/')) templates.push({ path: p, data: data.toString('utf8') });
    else if (p.startsWith('charts/')) {
      const inner = p.slice('charts/'.length);
      const slash = inner.indexOf('/');
      if (slash < 0) {
        if (/\.tgz$|\.tar\.gz$/.test(inner)) subArchives.push([inner, data]);
        continue;
      }
      const dir = inner.slice(0, slash);
      if (!subFiles.has(dir)) subFiles.set(dir, new Map());
      subFiles.get(dir)!.set(inner.slice(slash + 1), data);
    } else if (p !== 'Chart.yaml' && p !== 'values.yaml' && p !== 'requirements.yaml' && p !== 'requirements.lock' && p !== 'Chart.lock') rest.set(p, data);
  }
  const subcharts: Chart[] = [];
  for (const [dir, f] of subFiles) if (f.has('Chart.yaml')) subcharts.push(await loadChart(f, `${what}: charts/${dir}`));
  for (const [file, data] of subArchives) subcharts.push(await loadChart(await readChartArchive(data, `${what}: charts/${file}`), `${what}: charts/${file}`));
  return {
    metadata: {
      apiVersion,
      name,
      version,
      ...(str(raw.appVersion) !== undefined ? { appVersion: str(raw.appVersion)! } : {}),
      ...(typeof raw.description === 'string' ? { description: raw.description } : {}),
      type,
      dependencies: dependencies(deps, `${what}: Chart.yaml`),
      raw,
    },
    values,
    templates,
    files: rest,
    subcharts,
  };
}
