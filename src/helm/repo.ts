/**
 * A Helm chart repository over HTTP(S): `index.yaml` (apiVersion v1,
 * `entries: {name: [ {name, version, urls, digest, type}… ]}`) and the chart
 * archives it names (URLs relative to the index or absolute). Downloads are
 * bounded and checked against the index's sha256 `digest` when it has one.
 */
import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { isMap } from './template/values.js';

export class HelmRepoError extends Error {
  readonly code = 'ERR_HELM_REPO';
}

export interface IndexEntry {
  readonly name: string;
  readonly version: string;
  readonly urls: readonly string[];
  readonly digest?: string;
  readonly type: 'application' | 'library';
}

export interface RepoIndex {
  readonly url: string;
  /** index.yaml as fetched (saved in the workspace). */
  readonly text: string;
  readonly entries: ReadonlyMap<string, readonly IndexEntry[]>;
}

const MAX_INDEX = 64 * 1024 * 1024;
const MAX_CHART = 64 * 1024 * 1024;

async function get(url: string, limit: number, what: string): Promise<Buffer> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow' });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new HelmRepoError(`${what}: cannot reach ${url} (${cause?.code ?? cause?.message ?? (e as Error).message})`);
  }
  if (!res.ok) throw new HelmRepoError(`${what}: ${url} answered ${res.status}${res.status === 404 ? ' (not found)' : ''}`);
  const body = Buffer.from(await res.arrayBuffer());
  if (body.length > limit) throw new HelmRepoError(`${what}: ${url} is larger than ${limit} bytes`);
  return body;
}

function repoBase(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** `index.yaml` of the repository at `url`. */
export async function fetchIndex(url: string): Promise<RepoIndex> {
  const indexUrl = new URL('index.yaml', repoBase(url)).toString();
  const text = (await get(indexUrl, MAX_INDEX, `helm repository ${url}`)).toString('utf8');
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 1000 });
  } catch (e) {
    throw new HelmRepoError(`helm repository ${url}: index.yaml is not YAML (${(e as Error).message.split('\n')[0]})`);
  }
  if (!isMap(doc) || !isMap(doc.entries)) throw new HelmRepoError(`helm repository ${url}: index.yaml has no "entries" mapping`);
  const entries = new Map<string, IndexEntry[]>();
  for (const [name, list] of Object.entries(doc.entries)) {
    if (!Array.isArray(list)) continue;
    const versions: IndexEntry[] = [];
    for (const e of list) {
      if (!isMap(e)) continue;
      const version = typeof e.version === 'string' ? e.version : typeof e.version === 'number' ? String(e.version) : undefined;
      const urls = Array.isArray(e.urls) ? e.urls.filter((u): u is string => typeof u === 'string') : [];
      if (version === undefined || urls.length === 0) continue;
      versions.push({ name, version, urls, ...(typeof e.digest === 'string' ? { digest: e.digest } : {}), type: e.type === 'library' ? 'library' : 'application' });
    }
    entries.set(name, versions);
  }
  return { url, text, entries };
}

/** Downloads a chart archive of `index` (the first URL that answers), checking its digest. */
export async function downloadChart(index: RepoIndex, e: IndexEntry): Promise<Buffer> {
  let last: Error | undefined;
  for (const u of e.urls) {
    const url = new URL(u, repoBase(index.url)).toString();
    try {
      const body = await get(url, MAX_CHART, `chart ${e.name}-${e.version}`);
      if (e.digest !== undefined && /^[0-9a-f]{64}$/.test(e.digest)) {
        const got = createHash('sha256').update(body).digest('hex');
        if (got !== e.digest) throw new HelmRepoError(`chart ${e.name}-${e.version}: ${url} has sha256 ${got}, but index.yaml says ${e.digest}`);
      }
      return body;
    } catch (err) {
      last = err as Error;
    }
  }
  throw last ?? new HelmRepoError(`chart ${e.name}-${e.version}: index.yaml names no URL`);
}

function compareVersions(a: string, b: string): number {
  const pa = a.replace(/^v/, '').split(/[.+-]/);
  const pb = b.replace(/^v/, '').split(/[.+-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    const d = /^\d+$/.test(x) && /^\d+$/.test(y) ? Number(x) - Number(y) : x < y ? -1 : x > y ? 1 : 0;
    if (d !== 0) return d;
  }
  return 0;
}

/** The entry for `name` at `version` (a `v` prefix tolerated), or its newest non-prerelease version when `version` is undefined. */
export function findEntry(index: RepoIndex, name: string, version: string | undefined): IndexEntry {
  const list = index.entries.get(name);
  if (list === undefined || list.length === 0) throw new HelmRepoError(`helm repository ${index.url}: no chart named ${name} (the index has ${[...index.entries.keys()].slice(0, 10).join(', ') || 'no charts'})`);
  if (version === undefined) {
    const stable = list.filter((e) => !/-/.test(e.version));
    return [...(stable.length > 0 ? stable : list)].sort((a, b) => compareVersions(b.version, a.version))[0]!;
  }
  const e = list.find((x) => x.version === version || x.version.replace(/^v/, '') === version.replace(/^v/, ''));
  if (e === undefined) throw new HelmRepoError(`helm repository ${index.url}: chart ${name} has no version ${version} (it has ${list.map((x) => x.version).slice(0, 10).join(', ')})`);
  return e;
}

/** Every version of every non-library chart in the index (oc-mirror v2 with `charts` omitted), sorted by name then version. */
export function allCharts(index: RepoIndex): IndexEntry[] {
  return [...index.entries.values()]
    .flat()
    .filter((e) => e.type !== 'library')
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : compareVersions(a.version, b.version)));
}
