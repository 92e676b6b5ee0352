/**
 * `mirror.helm` of an ImageSetConfiguration (oc-mirror v2 `type_config.go`,
 * anchors §1.1): `repositories[]{name, url, charts[]{name, version,
 * imagePaths[]}}` and `local[]{name, path, imagePaths[]}`. Omitting
 * `charts` takes every non-library chart version of the repository; a chart
 * without `version` is its newest version. Per-chart `platforms` is refused
 * as not yet supported.
 */
import type { Node } from 'yaml';
import { parseImagePath, ImagePathError } from '../../helm/chart/images.js';
import type { Where } from './config-types.js';
import type { ConfigSource } from './yaml-nodes.js';

export interface HelmChartSpec {
  readonly name: string;
  /** Undefined: the newest version in the index. */
  readonly version?: string;
  readonly imagePaths: readonly string[];
  readonly where: Where;
}

export interface HelmRepositorySpec {
  readonly name: string;
  readonly url: string;
  /** Undefined: every non-library chart version of the index. */
  readonly charts?: readonly HelmChartSpec[];
  readonly where: Where;
}

export interface HelmLocalSpec {
  readonly name: string;
  /** A chart directory or a chart archive (.tgz). */
  readonly path: string;
  readonly imagePaths: readonly string[];
  readonly where: Where;
}

export interface HelmSpec {
  readonly repositories: readonly HelmRepositorySpec[];
  readonly local: readonly HelmLocalSpec[];
}

function imagePaths(src: ConfigSource, node: Node | null | undefined, field: string): string[] {
  return src.seq(node, field).map((n, i) => {
    const p = src.string(n, `${field}[${i}]`, 'a JSONPath such as {.spec.template.spec.containers[*].image}');
    try {
      parseImagePath(p);
    } catch (e) {
      if (e instanceof ImagePathError) src.fail(n, `${field}[${i}]`, e.message);
      throw e;
    }
    return p;
  });
}

function chart(src: ConfigSource, node: Node, field: string): HelmChartSpec {
  const m = src.map(node, field, ['name', 'version', 'imagePaths'], ['platforms']);
  if (m.get('name') === undefined) src.fail(node, field, 'needs "name" (the chart name in the repository index)');
  const version = src.optionalString(m.get('version'), `${field}.version`) ?? (typeof m.get('version')?.value === 'number' ? String(m.get('version')!.value) : undefined);
  return { name: src.string(m.get('name')!.value, `${field}.name`), ...(version !== undefined ? { version } : {}), imagePaths: imagePaths(src, m.get('imagePaths')?.value, `${field}.imagePaths`), where: src.at(node) };
}

/** Reads `mirror.helm` (`field` names it in errors). */
export function readHelm(src: ConfigSource, node: Node | null, field: string): HelmSpec {
  const m = src.map(node, field, ['repositories', 'local']);
  const repositories = src.seq(m.get('repositories')?.value, `${field}.repositories`).map((n, i): HelmRepositorySpec => {
    const f = `${field}.repositories[${i}]`;
    const r = src.map(n, f, ['name', 'url', 'charts']);
    if (r.get('url') === undefined) src.fail(n, f, 'needs "url" (the Helm repository, where index.yaml is)');
    const url = src.string(r.get('url')!.value, `${f}.url`);
    if (!/^https?:\/\/[^/]/.test(url)) src.fail(r.get('url')!.value, `${f}.url`, `"${url}" is not an http:// or https:// URL (oci:// chart repositories are not yet supported)`);
    const name = src.optionalString(r.get('name'), `${f}.name`) ?? new URL(url).host;
    const charts = r.get('charts') === undefined ? undefined : src.seq(r.get('charts')!.value, `${f}.charts`).map((c, k) => chart(src, c, `${f}.charts[${k}]`));
    return { name, url, ...(charts !== undefined ? { charts } : {}), where: src.at(n) };
  });
  const local = src.seq(m.get('local')?.value, `${field}.local`).map((n, i): HelmLocalSpec => {
    const f = `${field}.local[${i}]`;
    const l = src.map(n, f, ['name', 'path', 'imagePaths'], ['platforms']);
    if (l.get('path') === undefined) src.fail(n, f, 'needs "path" (a chart directory or .tgz)');
    const path = src.string(l.get('path')!.value, `${f}.path`);
    return { name: src.optionalString(l.get('name'), `${f}.name`) ?? path, path, imagePaths: imagePaths(src, l.get('imagePaths')?.value, `${f}.imagePaths`), where: src.at(n) };
  });
  if (repositories.length === 0 && local.length === 0) src.fail(node, field, 'names no chart (give repositories or local)');
  return { repositories, local };
}
