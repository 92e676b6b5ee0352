/**
 * `npm run bench:console`: the console over an airlock holding 100,000
 * repositories (BENCH_CONSOLE_REPOS; created through the metadata store
 * directly, as `org-N/team-M/repo-NNNNNN`), on loopback, in headless
 * Chromium (/usr/bin/chromium via playwright-core):
 *
 *   1. time to first render of the repository list: from navigation to the
 *      first entry visible, for the tree's top level (#/repos), a namespace
 *      (#/repos/org-3/team-3, 1,000 repositories) and a prefix search
 *      (org-1/, 10,000 matches, first page of 100), each in a fresh context,
 *      BENCH_RUNS times (default 5): median and max;
 *   2. JSON API latency of a tag page (GET /api/v1/repositories/…/tags,
 *      limit 100, of a repository with BENCH_CONSOLE_TAGS tags, default
 *      1000, each its own manifest and config), BENCH_CONSOLE_REQUESTS
 *      sequential keep-alive requests (default 2000) after 100 warm-up ones
 *      (which fill the config → platform cache): p50, p99, max.
 *
 * It prints a table of each figure against its target (TARGETS: goals, not
 * assertions) with the ratio measured/target.
 *
 * Quick settings: BENCH_CONSOLE_REPOS=10000 BENCH_RUNS=2 BENCH_CONSOLE_REQUESTS=300.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import type { Digest } from '../src/oci/digest.js';
import { startRegistry } from '../src/server/start.js';
import { launchBrowser } from '../test/helpers/browser.js';
import { envInt } from './lib/env.js';
import { loadAverage } from './lib/proc.js';

const REPOS = envInt('BENCH_CONSOLE_REPOS', 100_000, 100);
const RUNS = envInt('BENCH_RUNS', 5, 1);
const TAGS = envInt('BENCH_CONSOLE_TAGS', 1000, 1);
const REQUESTS = envInt('BENCH_CONSOLE_REQUESTS', 2000, 10);

/** Goals (not assertions): a list a user sees within a second, a tag page well under a screen refresh budget. */
const TARGETS = { firstRenderMs: 1000, tagPageP50Ms: 50, tagPageP99Ms: 200 };

const say = (s: string): void => void process.stderr.write(`${s}\n`);
const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const name = (i: number): string => `org-${i % 10}/team-${i % 100}/repo-${String(i).padStart(6, '0')}`;
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

async function main(): Promise<void> {
  const loadAtStart = loadAverage();
  const dataDir = await mkdtemp(join(tmpdir(), 'airlock-console-bench-'));
  const reg = await startRegistry({ logLevel: 'silent', listen: '127.0.0.1:0', dataDir, insecureHttp: true, gc: { enabled: false } });
  const base = `http://127.0.0.1:${reg.port}`;
  const pool = new Pool(base, { connections: 1, pipelining: 1 });
  try {
    say(`creating ${REPOS} repositories through the metadata store…`);
    const t0 = Date.now();
    const digest = sha('one blob linked everywhere') as Digest;
    for (let i = 0; i < REPOS; i++) await reg.meta.linkBlob(name(i), digest, 26, t0);
    say(`  ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    say(`pushing bench/app with ${TAGS} tags, each its own manifest and config…`);
    const upload = async (b: Buffer): Promise<string> => {
      const r = await pool.request({ method: 'POST', path: `/v2/bench/app/blobs/uploads/?digest=${sha(b)}`, headers: { 'content-type': 'application/octet-stream', 'content-length': String(b.length) }, body: b });
      await r.body.dump();
      if (r.statusCode !== 201) throw new Error(`blob upload: HTTP ${r.statusCode}`);
      return sha(b);
    };
    const layer = Buffer.from('bench layer');
    await upload(layer);
    for (let i = 0; i < TAGS; i++) {
      const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, seed: i }));
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: await upload(config), size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha(layer), size: layer.length }],
      });
      const r = await pool.request({ method: 'PUT', path: `/v2/bench/app/manifests/v${String(i).padStart(5, '0')}`, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: manifest });
      await r.body.dump();
      if (r.statusCode !== 201) throw new Error(`manifest put: HTTP ${r.statusCode}`);
    }

    const browser = await launchBrowser();
    const views: [string, string, string][] = [
      ['tree top level', '#/repos', '[data-list="tree"] li'],
      ['namespace org-3/team-3', '#/repos/org-3/team-3', '[data-list="tree"] li'],
    ];
    const render: Record<string, number[]> = {};
    try {
      for (let run = 0; run < RUNS; run++) {
        for (const [label, hash, sel] of views) {
          const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
          const page = await ctx.newPage();
          const start = performance.now();
          await page.goto(`${base}/${hash}`);
          await page.locator(sel).first().waitFor();
          (render[label] ??= []).push(performance.now() - start);
          await ctx.close();
        }
        const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        const page = await ctx.newPage();
        await page.goto(`${base}/#/repos`);
        await page.getByLabel('Name starts with').fill('org-1/');
        const start = performance.now();
        await page.getByRole('button', { name: 'Search' }).click();
        await page.locator('[data-list="search"] li').first().waitFor();
        (render['search org-1/ (after the click)'] ??= []).push(performance.now() - start);
        await ctx.close();
      }
    } finally {
      await browser.close();
    }

    const path = '/api/v1/repositories/bench/app/tags?limit=100';
    const once = async (): Promise<number> => {
      const s = performance.now();
      const r = await pool.request({ method: 'GET', path });
      await r.body.text();
      if (r.statusCode !== 200) throw new Error(`tags: HTTP ${r.statusCode}`);
      return performance.now() - s;
    };
    for (let i = 0; i < 100; i++) await once();
    const lat: number[] = [];
    for (let i = 0; i < REQUESTS; i++) lat.push(await once());

    const rows: [string, number, number][] = Object.entries(render).map(([k, v]) => [`first render: ${k} (median)`, pct(v, 50), TARGETS.firstRenderMs]);
    rows.push([`tag page API p50 (limit 100 of ${TAGS} tags)`, pct(lat, 50), TARGETS.tagPageP50Ms], [`tag page API p99 (limit 100 of ${TAGS} tags)`, pct(lat, 99), TARGETS.tagPageP99Ms]);
    const lines = [
      `console bench: ${REPOS} repositories, ${RUNS} runs, loopback, headless Chromium; ${availableParallelism()} CPUs (${cpus()[0]?.model ?? '?'}), load average at start ${loadAtStart}`,
      '',
      '| figure | measured | target | measured/target | |',
      '|---|---|---|---|---|',
      ...rows.map(([k, v, t]) => `| ${k} | ${v.toFixed(v < 100 ? 2 : 0)} ms | ≤ ${t} ms | ${(v / t).toFixed(2)} | ${v <= t ? 'met' : 'MISSED'} |`),
      '',
      '| first render of | median | max |',
      '|---|---|---|',
      ...Object.entries(render).map(([k, v]) => `| ${k} | ${pct(v, 50).toFixed(0)} ms | ${Math.max(...v).toFixed(0)} ms |`),
      '',
      `tag page (limit 100 of ${TAGS} tags, distinct manifests), ${REQUESTS} sequential requests: p50 ${pct(lat, 50).toFixed(2)} ms, p99 ${pct(lat, 99).toFixed(2)} ms, max ${Math.max(...lat).toFixed(2)} ms`,
      'No peer runs beside it: docker-registry has no console or JSON API, and zot (zui) is not installed here.',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await pool.close();
    await reg.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:console: ${(e as Error).message}\n`);
  process.exit(1);
});
