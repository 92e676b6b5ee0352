/**
 * docs/api.md stays complete: every route the running app registers under
 * /api/v1 (read from fastify's printRoutes, each parsed route confirmed by
 * hasRoute) is in the Routes table of docs/api.md, and every route in that
 * table is registered; the tails of /api/v1/repositories/* are each
 * documented. Also the table's generic errors: an unknown path, a body that
 * is not JSON and one over the 64 KiB cap answer what it says.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HTTPMethods } from 'fastify';
import { TAIL_PATTERNS } from '../../src/server/api/repo-routes.js';
import { repoRoot } from '../helpers/airlock-process.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { SecureClient, basic, type Res } from '../security/support/secure-client.js';

/** "METHOD /path" of every route in a printRoutes({ commonPrefix: false }) tree (HEAD left out). */
export function routesOfTree(tree: string): string[] {
  const out: string[] = [];
  const stack: { depth: number; path: string }[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[└├]── (\S+)(?: \(([A-Z, ]+)\))?$/.exec(line.replace(/\u00a0/g, ' '));
    if (!m) {
      assert.equal(line.trim(), '', `printRoutes line not understood: ${JSON.stringify(line)}`);
      continue;
    }
    const depth = m[1]!.length / 4;
    while (stack.length > 0 && stack[stack.length - 1]!.depth >= depth) stack.pop();
    const parent = stack[stack.length - 1]?.path ?? '';
    const seg = m[2]!;
    const path = parent === '' ? seg : parent.endsWith('/') || seg.startsWith('/') ? parent + seg : `${parent}/${seg}`;
    stack.push({ depth, path });
    for (const method of (m[3] ?? '').split(', ').filter((x) => x !== '' && x !== 'HEAD')) out.push(`${method} ${path}`);
  }
  return out;
}

/** "METHOD /path" of the Routes table, `{name}…` (a repository name with slashes) as the wildcard route it is. */
function documentedRoutes(md: string): { routes: Set<string>; tails: string[] } {
  const section = md.split('\n## Routes\n')[1]?.split('\n## ')[0];
  assert.ok(section, 'docs/api.md has a Routes section');
  const routes = new Set<string>();
  const tails: string[] = [];
  for (const line of section.split('\n')) {
    const m = /^\| (GET|POST|PUT|PATCH|DELETE) \| (\/api\/v1\/\S*) \|/.exec(line);
    if (!m) continue;
    const [, method, path] = m as unknown as [string, string, string];
    const at = path.indexOf('{name}');
    if (at >= 0) tails.push(path.slice(at + '{name}/'.length));
    routes.add(`${method} ${at >= 0 ? `${path.slice(0, at)}*` : path}`);
  }
  return { routes, tails };
}

describe('docs/api.md lists every /api/v1 route', () => {
  let reg: AirlockHandle;
  let c: SecureClient;
  let admin: string;
  before(async () => {
    reg = await startAirlock({ auth: 'token' });
    c = new SecureClient(reg.url, reg.security!.caCertPath);
    admin = basic('admin', reg.security!.adminPassword);
  });
  after(async () => {
    await c?.close();
    await reg?.close();
  });

  it('every registered route is in the Routes table, and every route there is registered', () => {
    const app = reg.registry.app;
    const registered = routesOfTree(app.printRoutes({ commonPrefix: false }));
    for (const r of registered) {
      const [method, url] = r.split(' ') as [HTTPMethods, string];
      assert.ok(app.hasRoute({ method, url }), `the tree parser read a route fastify has: ${r}`);
    }
    const api = registered.filter((r) => / \/api\/v1(\/|$)/.test(r));
    assert.ok(api.length >= 17, `the API's routes were read (${api.length})`);
    const docs = documentedRoutes(readFileSync(join(repoRoot(), 'docs', 'api.md'), 'utf8'));
    const missing = api.filter((r) => !docs.routes.has(r));
    assert.deepEqual(missing, [], 'registered but missing from docs/api.md');
    const stale = [...docs.routes].filter((r) => !api.includes(r));
    assert.deepEqual(stale, [], 'in docs/api.md but not registered');
  });

  it('every tail of /api/v1/repositories/{name}/… is documented, and each documented one is one the route handles', () => {
    const { tails } = documentedRoutes(readFileSync(join(repoRoot(), 'docs', 'api.md'), 'utf8'));
    const sample = (t: string): string => `ocp4/openshift/release/${t.replace('DIGEST', 'sha256:0').replace('REF', 'v1')}`;
    for (const [re, kind] of TAIL_PATTERNS) assert.ok(tails.some((t) => re.test(sample(t))), `the ${kind} tail is documented`);
    for (const t of tails) assert.ok(TAIL_PATTERNS.some(([re]) => re.test(sample(t))), `documented tail ${t} is handled`);
  });

  it('answers the generic errors the table states: unknown path, bad JSON, a body over 64 KiB', async () => {
    const code = (r: Res): string => r.json<{ errors: { code: string }[] }>().errors[0]!.code;
    const unknown = await c.request('GET', '/api/v1/nothing-here', { headers: { authorization: admin } });
    assert.equal(unknown.status, 404);
    assert.equal(code(unknown), 'UNSUPPORTED');
    assert.match(unknown.text(), /docs\/api\.md/);
    const post = (body: string) => c.request('POST', '/api/v1/mirror-runs', { headers: { authorization: admin, 'content-type': 'application/json' }, body });
    const bad = await post('{"command": ');
    assert.equal(bad.status, 400);
    assert.equal(code(bad), 'UNSUPPORTED');
    const big = await post(JSON.stringify({ command: 'x'.repeat(70 * 1024) }));
    assert.equal(big.status, 413, big.text());
    assert.equal(code(big), 'SIZE_INVALID');
  });
});
