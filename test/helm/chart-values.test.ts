/** Helm's values for a render: coalescing with subcharts, globals, null removal, conditions, tags and aliases; image paths; chart loading errors. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChartLoadError } from '../../src/helm/chart/archive.js';
import { evaluate, imagesOf, parseImagePath } from '../../src/helm/chart/images.js';
import { loadChart } from '../../src/helm/chart/load.js';
import { renderChart } from '../../src/helm/chart/render.js';
import { coalesceValues, enabledCharts } from '../../src/helm/chart/values.js';
import { qualifyImage } from '../../src/helm/chart-images.js';

const files = (o: Record<string, string>): Map<string, Buffer> => new Map(Object.entries(o).map(([k, v]) => [k, Buffer.from(v)]));

describe('helm chart values and image paths', () => {
  it('parent values win, subchart defaults fill, globals flow down, null removes a default; aliases and tags decide what renders', async () => {
    const chart = await loadChart(files({
      'Chart.yaml': 'apiVersion: v2\nname: top\nversion: 1.0.0\ndependencies:\n- name: db\n  version: 1.0.0\n  alias: primary\n- name: db\n  version: 1.0.0\n  alias: replica\n  tags: [replicas]\n- name: cache\n  version: 1.0.0\n  tags: [caching]\n',
      'values.yaml': 'global:\n  registry: reg.example.com\ntags:\n  replicas: false\n  caching: true\nprimary:\n  port: 6000\n  extra: null\n',
      'templates/x.yaml': 'top: {{ .Values.global.registry }}\n',
      'charts/db/Chart.yaml': 'apiVersion: v2\nname: db\nversion: 1.0.0\n',
      'charts/db/values.yaml': 'port: 5432\nextra: {a: 1}\nglobal:\n  registry: ignored\n  own: kept\n',
      'charts/db/templates/db.yaml': 'db: {{ .Values.global.registry }}:{{ .Values.port }}/{{ .Values.global.own }}/{{ hasKey .Values "extra" }}\n',
      'charts/cache/Chart.yaml': 'apiVersion: v2\nname: cache\nversion: 1.0.0\n',
      'charts/cache/templates/c.yaml': 'cache: {{ .Chart.Name }}\n',
    }), 'top');
    const dropped: string[] = [];
    const scoped = enabledCharts(chart, dropped);
    assert.deepEqual(dropped, ['top/replica']);
    const v = coalesceValues(scoped);
    assert.deepEqual(v.primary, { port: 6000, global: { registry: 'reg.example.com', own: 'kept' } });
    const r = renderChart(chart);
    assert.deepEqual(r.failures, []);
    assert.deepEqual(r.templates.map((t) => [t.name, t.content]), [
      ['top/charts/cache/templates/c.yaml', 'cache: cache\n'],
      ['top/charts/primary/templates/db.yaml', 'db: reg.example.com:6000/kept/false\n'],
      ['top/templates/x.yaml', 'top: reg.example.com\n'],
    ]);
  });

  it('a dependency missing from charts/ is a failure only when enabled', async () => {
    const chart = await loadChart(files({
      'Chart.yaml': 'apiVersion: v2\nname: top\nversion: 1.0.0\ndependencies:\n- name: off\n  version: 1.0.0\n  condition: off.enabled\n- name: on\n  version: 1.0.0\n',
      'values.yaml': 'off:\n  enabled: false\n',
    }), 'top');
    assert.deepEqual(renderChart(chart).failures, [{ chart: 'top', file: 'top/Chart.yaml', line: 0, why: 'dependency on is listed in Chart.yaml but missing in the charts/ directory (its images cannot be found)' }]);
  });

  it('image paths: v2 defaults, user JSONPaths, recursive descent, container lists anywhere', () => {
    const docs = [
      { kind: 'Deployment', spec: { template: { spec: { initContainers: [{ image: 'a:1' }], containers: [{ image: 'b:1' }, { image: 'b:1' }] } } } },
      { kind: 'CronJob', spec: { jobTemplate: { spec: { template: { spec: { containers: [{ image: 'c:1' }] } } } } } },
      { kind: 'Custom', spec: { images: { main: 'd:1', side: 'e:1' }, nested: [{ image: 'f:1' }] } },
    ];
    assert.deepEqual(imagesOf(docs, []), ['a:1', 'b:1', 'c:1']);
    assert.deepEqual(imagesOf(docs, ['{.spec.images[*]}', "{.spec.nested[0]['image']}"]), ['a:1', 'b:1', 'c:1', 'd:1', 'e:1', 'f:1']);
    assert.deepEqual(evaluate(docs[0], parseImagePath('{..image}')), ['a:1', 'b:1', 'b:1']);
    assert.throws(() => parseImagePath('{.spec.containers[?(@.name=="x")].image}'), /unsupported JSONPath at "\[\?\(@/);
  });

  it('short names are qualified as a runtime does; non-references are reported', () => {
    assert.deepEqual(qualifyImage('nginx'), { image: 'docker.io/library/nginx:latest' });
    assert.deepEqual(qualifyImage('bitnami/redis:7'), { image: 'docker.io/bitnami/redis:7' });
    assert.deepEqual(qualifyImage('quay.io/a/b@sha256:' + 'a'.repeat(64)), { image: `quay.io/a/b@sha256:${'a'.repeat(64)}` });
    assert.ok('why' in qualifyImage('Not An Image'));
  });

  it('chart loading errors are one line naming the chart', async () => {
    await assert.rejects(loadChart(files({ 'values.yaml': '' }), 'x.tgz'), (e: unknown) => e instanceof ChartLoadError && e.message === 'x.tgz: no Chart.yaml at the chart root');
    await assert.rejects(loadChart(files({ 'Chart.yaml': 'name: a\n' }), 'x.tgz'), /x\.tgz: Chart\.yaml: version is required/);
    await assert.rejects(loadChart(files({ 'Chart.yaml': 'name: a\nversion: 1\n', 'values.yaml': 'a: [' }), 'x.tgz'), /x\.tgz: values\.yaml: not valid YAML/);
  });
});
