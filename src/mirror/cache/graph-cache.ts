/**
 * Cincinnati answers kept in the cache (`graph/<sha256>.json`, keyed by
 * endpoint, channel type, channel and architecture). Each answer fetched is
 * stored; when the endpoint cannot be reached or answers with an error, the
 * last stored answer is used, with a warning that names its age, so a
 * run on a host that lost its route to the update service still selects the
 * same releases. An answer that is not a graph is never stored.
 */
import { createHash } from 'node:crypto';
import type { ChannelType } from '../imageset/config-types.js';
import { CincinnatiClient, GraphError, type GraphClientOptions, type ReleaseGraph } from '../imageset/cincinnati.js';
import type { CacheStore } from './cache-store.js';

export class CachedGraphClient extends CincinnatiClient {
  constructor(
    o: GraphClientOptions,
    private readonly cache: CacheStore,
    private readonly warn: (message: string) => void,
  ) {
    super(o);
  }

  private key(type: ChannelType, channel: string, arch: string): string {
    return `${createHash('sha256').update(`${this.endpoint(type)}\u0000${type}\u0000${channel}\u0000${arch}`).digest('hex')}.json`;
  }

  override async graph(type: ChannelType, channel: string, arch: string, signal?: AbortSignal): Promise<ReleaseGraph> {
    const key = this.key(type, channel, arch);
    try {
      const g = await super.graph(type, channel, arch, signal);
      await this.cache.put('graph', key, JSON.stringify({ fetched: new Date().toISOString(), channel, arch, graph: g })).catch((e: Error) => this.warn(`cannot store the release graph in the cache ${this.cache.dir}: ${e.message}`));
      return g;
    } catch (e) {
      if (!(e instanceof GraphError) || signal?.aborted) throw e;
      const data = await this.cache.get('graph', key).catch(() => undefined);
      if (data === undefined) throw e;
      const stored = JSON.parse(data.toString('utf8')) as { fetched: string; graph: ReleaseGraph };
      this.warn(`${e.message}; using the answer cached at ${stored.fetched} (${this.cache.dir})`);
      return stored.graph;
    }
  }
}
