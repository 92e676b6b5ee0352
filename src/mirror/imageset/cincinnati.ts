/**
 * A Cincinnati (OpenShift Update Service) client: the update graph of one
 * channel and architecture, requested exactly as oc-mirror does (reference
 * §5.4): `GET <graph URL>?channel=<ch>&arch=<arch>&id=<uuid>` with
 * `Accept: application/json`. The URL is `--graph-url`, else the
 * `UPDATE_URL_OVERRIDE` environment variable, else api.openshift.com's
 * (OKD channels: origin-release.ci.openshift.org's).
 */
import { randomUUID } from 'node:crypto';
import { Agent, request } from '../../util/undici-core.js';
import type { ChannelType } from './config-types.js';

export const OCP_GRAPH_URL = 'https://api.openshift.com/api/upgrades_info/v1/graph';
export const OKD_GRAPH_URL = 'https://origin-release.ci.openshift.org/graph';
const MAX_GRAPH_BYTES = 64 << 20;

/** One keep-alive pool for graph requests, as undici's global dispatcher was. */
let agent: Agent | undefined;
const graphAgent = (): Agent => (agent ??= new Agent());

export class GraphError extends Error {
  readonly code = 'ERR_RELEASE_GRAPH';
}

export interface GraphNode {
  readonly version: string;
  /** The release image, by digest (`quay.io/openshift-release-dev/ocp-release@sha256:…`). */
  readonly payload: string;
}

export interface ReleaseGraph {
  readonly nodes: readonly GraphNode[];
  /** Unconditional upgrade edges, as [from, to] indexes into `nodes`. */
  readonly edges: readonly (readonly [number, number])[];
}

export interface GraphClientOptions {
  /** --graph-url. */
  readonly url?: string;
  /** Default process.env (UPDATE_URL_OVERRIDE). */
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

function checkGraph(doc: unknown, what: string): ReleaseGraph {
  const d = doc as { nodes?: unknown; edges?: unknown } | null;
  if (typeof d !== 'object' || d === null || !Array.isArray(d.nodes)) throw new GraphError(`${what}: the answer is not an update graph (no "nodes" list)`);
  const nodes = d.nodes.map((n: unknown, i): GraphNode => {
    const o = n as { version?: unknown; payload?: unknown } | null;
    if (typeof o?.version !== 'string' || typeof o.payload !== 'string') throw new GraphError(`${what}: nodes[${i}] has no version or payload`);
    return { version: o.version, payload: o.payload };
  });
  const edges = (Array.isArray(d.edges) ? d.edges : []).map((e: unknown, i): [number, number] => {
    if (!Array.isArray(e) || e.length !== 2 || !e.every((x) => Number.isInteger(x) && (x as number) >= 0 && (x as number) < nodes.length)) throw new GraphError(`${what}: edges[${i}] is not a pair of node indexes`);
    return [e[0] as number, e[1] as number];
  });
  return { nodes, edges };
}

export class CincinnatiClient {
  constructor(private readonly o: GraphClientOptions = {}) {}

  /** The graph endpoint for a channel type: --graph-url > UPDATE_URL_OVERRIDE > the public service. */
  endpoint(type: ChannelType): string {
    const env = this.o.env ?? process.env;
    const override = env.UPDATE_URL_OVERRIDE;
    return this.o.url ?? (override !== undefined && override !== '' ? override : type === 'okd' ? OKD_GRAPH_URL : OCP_GRAPH_URL);
  }

  /** The request URL for one channel and architecture (a fresh id each time, as oc-mirror sends). */
  requestUrl(type: ChannelType, channel: string, arch: string): URL {
    let url: URL;
    const base = this.endpoint(type);
    try {
      url = new URL(base);
    } catch {
      throw new GraphError(`graph URL "${base}" is not a URL (check --graph-url or UPDATE_URL_OVERRIDE)`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new GraphError(`graph URL "${base}" is not http(s)`);
    url.searchParams.set('channel', channel);
    url.searchParams.set('arch', arch);
    url.searchParams.set('id', randomUUID());
    return url;
  }

  async graph(type: ChannelType, channel: string, arch: string, signal?: AbortSignal): Promise<ReleaseGraph> {
    const url = this.requestUrl(type, channel, arch);
    const what = `release graph of channel ${channel} (${arch}) from ${url.origin}${url.pathname}`;
    let res;
    try {
      res = await request(graphAgent(), { origin: url.origin, path: url.pathname + url.search, method: 'GET', headers: { accept: 'application/json' }, signal, headersTimeout: this.o.timeoutMs ?? 60_000, bodyTimeout: this.o.timeoutMs ?? 60_000 });
    } catch (e) {
      throw new GraphError(`${what}: ${(e as Error).message}`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of res.body as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > MAX_GRAPH_BYTES) {
        res.body.destroy();
        throw new GraphError(`${what}: the answer is larger than ${MAX_GRAPH_BYTES >> 20} MiB`);
      }
      chunks.push(c);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    if (res.statusCode !== 200) throw new GraphError(`${what}: HTTP ${res.statusCode}${text ? `: ${text.slice(0, 200).replace(/\s+/g, ' ')}` : ''}`);
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new GraphError(`${what}: the answer is not JSON`);
    }
    return checkGraph(doc, what);
  }
}
