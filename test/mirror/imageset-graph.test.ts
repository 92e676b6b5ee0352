/** The Cincinnati client against a real HTTP server on loopback, and oc-mirror's selection rules over its graphs. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CincinnatiClient, OCP_GRAPH_URL, OKD_GRAPH_URL } from '../../src/mirror/imageset/cincinnati.js';
import { selectReleases } from '../../src/mirror/imageset/release-select.js';
import { graphOf, startGraphServer, type GraphServer } from '../helpers/graph-server.js';

const payload = (v: string): string => `127.0.0.1:1/ocp/release@sha256:${Buffer.from(v.padEnd(32, '.')).toString('hex').slice(0, 64)}`;
// stable: 4.18.1 … 4.18.6; two ways from 4.18.1 to 4.18.6: via 4.18.2, 4.18.3 (3 edges) or via 4.18.4 (2 edges).
const STABLE = ['4.18.3', '4.18.1', '4.18.2', '4.18.4', '4.18.5', '4.18.6'];
const STABLE_EDGES: [string, string][] = [['4.18.1', '4.18.2'], ['4.18.2', '4.18.3'], ['4.18.3', '4.18.6'], ['4.18.1', '4.18.4'], ['4.18.4', '4.18.6'], ['4.18.4', '4.18.5'], ['4.18.5', '4.18.6'], ['4.18.2', '4.18.4']];
const FAST = [...STABLE, '4.18.7'];
const FAST_EDGES: [string, string][] = [...STABLE_EDGES, ['4.18.6', '4.18.7'], ['4.18.5', '4.18.7']];

describe('Cincinnati client and release selection', () => {
  let g: GraphServer;
  let client: CincinnatiClient;
  before(async () => {
    g = await startGraphServer();
    g.set('stable-4.18', 'amd64', graphOf(STABLE, STABLE_EDGES, payload));
    g.set('fast-4.18', 'amd64', graphOf(FAST, FAST_EDGES, payload));
    g.set('stable-4.18', 'arm64', graphOf(['4.18.1', '4.18.2'], [['4.18.1', '4.18.2']], payload));
    client = new CincinnatiClient({ url: g.url });
  });
  after(() => g?.close());

  it('sends the exact request: Accept: application/json, channel, arch and a fresh UUID id', async () => {
    const before = g.requests.length;
    const graph = await client.graph('ocp', 'stable-4.18', 'amd64');
    assert.equal(graph.nodes.length, 6);
    const r = g.requests[before]!;
    assert.equal(r.accept, 'application/json');
    assert.equal(r.url.pathname, '/graph');
    assert.deepEqual([...r.url.searchParams.keys()], ['channel', 'arch', 'id']);
    assert.equal(r.url.searchParams.get('channel'), 'stable-4.18');
    assert.equal(r.url.searchParams.get('arch'), 'amd64');
    assert.match(r.url.searchParams.get('id')!, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await client.graph('ocp', 'stable-4.18', 'arm64');
    assert.notEqual(g.requests[before + 1]!.url.searchParams.get('id'), r.url.searchParams.get('id'));
    assert.equal(g.requests[before + 1]!.url.searchParams.get('arch'), 'arm64');
  });

  it('honours --graph-url over UPDATE_URL_OVERRIDE over the public services', async () => {
    assert.equal(new CincinnatiClient({ env: {} }).endpoint('ocp'), OCP_GRAPH_URL);
    assert.equal(new CincinnatiClient({ env: {} }).endpoint('okd'), OKD_GRAPH_URL);
    const env = { UPDATE_URL_OVERRIDE: g.url };
    assert.equal(new CincinnatiClient({ env }).endpoint('okd'), g.url);
    assert.equal(new CincinnatiClient({ env, url: 'http://127.0.0.1:9/x' }).endpoint('ocp'), 'http://127.0.0.1:9/x');
    const viaEnv = await new CincinnatiClient({ env }).graph('ocp', 'fast-4.18', 'amd64');
    assert.equal(viaEnv.nodes.length, 7);
  });

  it('an unknown channel is one line naming channel, arch and status', async () => {
    await assert.rejects(client.graph('ocp', 'stable-9.9', 'amd64'), /^Error: release graph of channel stable-9\.9 \(amd64\) from http:\/\/127\.0\.0\.1:\d+\/graph: HTTP 404: \{"kind":"Error","reason":"invalid_channel"\}$/);
    await assert.rejects(new CincinnatiClient({ url: 'ftp://x/graph' }).graph('ocp', 'c', 'amd64'), /not http\(s\)/);
  });

  it('selects the head, ranges, full channels and the shortest path', async () => {
    const stable = await client.graph('ocp', 'stable-4.18', 'amd64');
    const fast = await client.graph('ocp', 'fast-4.18', 'amd64');
    const sel = (graph: typeof stable, ch: Partial<Parameters<typeof selectReleases>[1]>): string[] => selectReleases(graph, { name: 'c', full: false, shortestPath: false, ...ch }, 'amd64').map((n) => n.version);
    assert.deepEqual(sel(stable, {}), ['4.18.6'], 'neither min nor max: the head only');
    assert.deepEqual(sel(fast, {}), ['4.18.7']);
    assert.deepEqual(sel(stable, { minVersion: '4.18.4' }), ['4.18.4', '4.18.5', '4.18.6'], 'min → head');
    assert.deepEqual(sel(stable, { minVersion: '4.18.2', maxVersion: '4.18.4' }), ['4.18.2', '4.18.3', '4.18.4']);
    assert.deepEqual(sel(stable, { maxVersion: '4.18.2' }), ['4.18.1', '4.18.2']);
    assert.deepEqual(sel(stable, { full: true }), ['4.18.1', '4.18.2', '4.18.3', '4.18.4', '4.18.5', '4.18.6']);
    assert.deepEqual(sel(stable, { shortestPath: true, minVersion: '4.18.1', maxVersion: '4.18.6' }), ['4.18.1', '4.18.4', '4.18.6'], 'two edges beat three');
    assert.deepEqual(sel(fast, { shortestPath: true, minVersion: '4.18.2' }), ['4.18.2', '4.18.4', '4.18.6', '4.18.7'], 'max defaults to the head; ties take the higher versions');
    assert.deepEqual(sel(stable, { shortestPath: true, minVersion: '4.18.6', maxVersion: '4.18.6' }), ['4.18.6']);
    assert.equal(selectReleases(stable, { name: 'c', full: false, shortestPath: false }, 'amd64')[0]!.payload, payload('4.18.6'));
    assert.throws(() => sel(stable, { shortestPath: true, minVersion: '4.18.6', maxVersion: '4.18.1' }), /^Error: channel c \(amd64\): no upgrade path from 4\.18\.6 to 4\.18\.1 in the update graph$/);
    assert.throws(() => sel(stable, { shortestPath: true, minVersion: '4.18.9' }), /minVersion 4\.18\.9 is not in the update graph \(it has 4\.18\.1, 4\.18\.2/);
    assert.throws(() => sel(stable, { minVersion: '4.19.0' }), /^Error: channel c \(amd64\) has no release in 4\.19\.0\.\.4\.18\.6 \(it has 4\.18\.1 to 4\.18\.6\)$/);
  });
});
