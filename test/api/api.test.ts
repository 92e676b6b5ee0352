/**
 * The JSON API (/api/v1, docs/api.md) on an in-process airlock with TLS (its
 * generated CA, verified) and authentication: what each account sees,
 * admin-only parts, tags and manifests against what was pushed, storage
 * figures after pushes, GC dry run and history, robots.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { SecureClient, basic, bearer, sha256, type Res } from '../security/support/secure-client.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

function errorCode(r: Res): string {
  return (r.json<{ errors: { code: string }[] }>().errors[0]!).code;
}

describe('JSON API with TLS and accounts', () => {
  let reg: AirlockHandle;
  let c: SecureClient;
  let admin: string;
  let reader: string;
  const pushed = new Map<string, string>();
  const blobSizes = new Map<string, number>();

  const get = (path: string, auth?: string): Promise<Res> => c.request('GET', path, auth ? { headers: { authorization: auth } } : {});
  const json = (method: string, path: string, auth: string, body?: unknown): Promise<Res> =>
    c.request(method, path, { headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

  async function putBlob(repo: string, data: Buffer): Promise<string> {
    const r = await c.pushBlob(repo, data, admin);
    assert.equal(r.status, 201, `blob into ${repo}: ${r.text()}`);
    blobSizes.set(sha256(data), data.length);
    return sha256(data);
  }

  async function putManifest(repo: string, ref: string, body: object, mediaType: string): Promise<string> {
    const bytes = Buffer.from(JSON.stringify(body));
    const r = await c.request('PUT', `/v2/${repo}/manifests/${ref}`, { headers: { authorization: admin, 'content-type': mediaType }, body: bytes });
    assert.equal(r.status, 201, `${repo}:${ref}: ${r.text()}`);
    assert.equal(r.headers['docker-content-digest'], sha256(bytes));
    return sha256(bytes);
  }

  async function image(repo: string, tag: string, arch: string, layerText: string): Promise<{ digest: string; size: number; total: number }> {
    const config = Buffer.from(JSON.stringify({ architecture: arch, os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, repo }));
    const layer = Buffer.from(layerText);
    const body = {
      schemaVersion: 2, mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: await putBlob(repo, config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: await putBlob(repo, layer), size: layer.length }],
    };
    const digest = await putManifest(repo, tag, body, OCI_MANIFEST);
    pushed.set(`${repo}:${tag}`, digest);
    const size = Buffer.byteLength(JSON.stringify(body));
    return { digest, size, total: size + config.length + layer.length };
  }

  before(async () => {
    reg = await startAirlock({ auth: 'token', config: { gc: { enabled: false, graceSeconds: 0 } } });
    c = new SecureClient(reg.url, reg.security!.caCertPath);
    admin = basic('admin', reg.security!.adminPassword);
    await reg.security!.addUser('reader', 'reader-password', { pull: ['team-a/**'] });
    reader = basic('reader', 'reader-password');
    await image('team-a/app', 'v1', 'amd64', 'shared layer');
    await image('team-a/sub/deep/x', 'v1', 'amd64', 'deep one');
    await image('team-a/sub/deep/x', 'v2', 'arm64', 'deep two');
    await image('team-b/secret', 'v1', 'amd64', 'shared layer');
    const amd = await image('team-a/multi', 'amd64-only', 'amd64', 'multi amd64');
    const arm = await image('team-a/multi', 'arm64-only', 'arm64', 'multi arm64');
    pushed.set('amd', amd.digest);
    const idx = {
      schemaVersion: 2, mediaType: OCI_INDEX,
      manifests: [
        { mediaType: OCI_MANIFEST, digest: amd.digest, size: amd.size, platform: { os: 'linux', architecture: 'amd64' } },
        { mediaType: OCI_MANIFEST, digest: arm.digest, size: arm.size, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      ],
    };
    pushed.set('team-a/multi:latest', await putManifest('team-a/multi', 'latest', idx, OCI_INDEX));
    // A signature-like referrer of team-a/app:v1.
    const empty = Buffer.from('{}');
    const sig = {
      schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: 'application/vnd.example.signature',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: await putBlob('team-a/app', empty), size: 2 },
      layers: [{ mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: 2 }],
      subject: { mediaType: OCI_MANIFEST, digest: pushed.get('team-a/app:v1'), size: 0 },
    };
    const appManifest = await get(`/v2/team-a/app/manifests/v1`, admin);
    sig.subject.size = appManifest.body.length;
    pushed.set('sig', await putManifest('team-a/app', sha256(Buffer.from(JSON.stringify(sig))), sig, OCI_MANIFEST));
  });
  after(async () => {
    await c?.close();
    await reg?.close();
  });

  it('lists every repository to an admin and only pullable ones to a pull-only account', async () => {
    const all = await get('/api/v1/repositories', admin);
    assert.equal(all.status, 200, all.text());
    assert.deepEqual(all.json<{ repositories: { name: string }[] }>().repositories.map((r) => r.name), ['team-a/app', 'team-a/multi', 'team-a/sub/deep/x', 'team-b/secret']);
    const mine = await get('/api/v1/repositories', reader);
    assert.deepEqual(mine.json<{ repositories: { name: string }[] }>().repositories.map((r) => r.name), ['team-a/app', 'team-a/multi', 'team-a/sub/deep/x']);
    const search = await get('/api/v1/repositories?q=team-a/s', reader);
    assert.deepEqual(search.json<{ repositories: { name: string }[] }>().repositories.map((r) => r.name), ['team-a/sub/deep/x']);
    const hidden = await get('/api/v1/repositories?q=team-b', reader);
    assert.deepEqual(hidden.json<{ repositories: unknown[] }>().repositories, []);
  });

  it('pages with a cursor: every repository once, in order', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r = await get(`/api/v1/repositories?limit=1${cursor ? `&cursor=${cursor}` : ''}`, admin);
      const body = r.json<{ repositories: { name: string }[]; next: string | null }>();
      seen.push(...body.repositories.map((x) => x.name));
      cursor = body.next;
      pages++;
    } while (cursor !== null && pages < 10);
    assert.deepEqual(seen, ['team-a/app', 'team-a/multi', 'team-a/sub/deep/x', 'team-b/secret']);
    const bad = await get('/api/v1/repositories?cursor=***', admin);
    assert.equal(bad.status, 400);
    assert.equal(errorCode(bad), 'PAGINATION_NUMBER_INVALID');
    assert.equal((await get('/api/v1/repositories?limit=0', admin)).status, 400);
  });

  it('walks the nested-name tree, hiding what the account cannot pull', async () => {
    const top = await get('/api/v1/tree', admin);
    assert.deepEqual(top.json<{ nodes: unknown[] }>().nodes, [
      { name: 'team-a', path: 'team-a', repository: false, children: true },
      { name: 'team-b', path: 'team-b', repository: false, children: true },
    ]);
    assert.deepEqual((await get('/api/v1/tree', reader)).json<{ nodes: { name: string }[] }>().nodes.map((n) => n.name), ['team-a']);
    const a = await get('/api/v1/tree?parent=team-a', reader);
    assert.deepEqual(a.json<{ nodes: unknown[] }>().nodes, [
      { name: 'app', path: 'team-a/app', repository: true, children: false },
      { name: 'multi', path: 'team-a/multi', repository: true, children: false },
      { name: 'sub', path: 'team-a/sub', repository: false, children: true },
    ]);
    assert.deepEqual((await get('/api/v1/tree?parent=team-a/sub/deep', reader)).json<{ nodes: { path: string }[] }>().nodes.map((n) => n.path), ['team-a/sub/deep/x']);
    assert.deepEqual((await get('/api/v1/tree?parent=team-b', reader)).json<{ nodes: unknown[] }>().nodes, []);
  });

  it("shows a repository's tags with the pushed digests, platforms, sizes and referrer counts", async () => {
    const r = await get('/api/v1/repositories/team-a/sub/deep/x/tags', reader);
    assert.equal(r.status, 200, r.text());
    const tags = r.json<{ tags: { name: string; digest: string; mediaType: string; platforms: string[]; totalSize: number; pushedAt: number }[] }>().tags;
    assert.deepEqual(tags.map((t) => [t.name, t.digest, t.mediaType, t.platforms]), [
      ['v1', pushed.get('team-a/sub/deep/x:v1'), OCI_MANIFEST, ['linux/amd64']],
      ['v2', pushed.get('team-a/sub/deep/x:v2'), OCI_MANIFEST, ['linux/arm64']],
    ]);
    assert.ok(tags.every((t) => t.pushedAt > 0 && t.totalSize > 0));
    const app = (await get('/api/v1/repositories/team-a/app/tags', reader)).json<{ tags: { name: string; referrers: number }[] }>().tags;
    assert.deepEqual(app.map((t) => [t.name, t.referrers]), [['v1', 1]]);
    const denied = await get('/api/v1/repositories/team-b/secret/tags', reader);
    assert.equal(denied.status, 403);
    assert.equal(errorCode(denied), 'DENIED');
    const unknown = await get('/api/v1/repositories/team-a/nothing/tags', admin);
    assert.equal(unknown.status, 404);
    assert.equal(errorCode(unknown), 'NAME_UNKNOWN');
  });

  it("shows a manifest's layers, config, platforms and referrers", async () => {
    const idx = (await get(`/api/v1/repositories/team-a/multi/manifests/${pushed.get('team-a/multi:latest')}`, reader)).json<Record<string, unknown>>();
    assert.equal(idx.mediaType, OCI_INDEX);
    assert.deepEqual(idx.platforms, ['linux/amd64', 'linux/arm64/v8']);
    assert.deepEqual(idx.tags, ['latest']);
    assert.deepEqual((idx.manifests as { digest: string }[]).map((m) => m.digest)[0], pushed.get('amd'));
    const app = (await get(`/api/v1/repositories/team-a/app/manifests/${pushed.get('team-a/app:v1')}`, reader)).json<Record<string, unknown>>();
    assert.equal((app.layers as unknown[]).length, 1);
    assert.equal((app.config as { mediaType: string }).mediaType, 'application/vnd.oci.image.config.v1+json');
    assert.deepEqual(app.platforms, ['linux/amd64']);
    assert.deepEqual((app.referrers as { digest: string; artifactType: string }[]).map((x) => [x.digest, x.artifactType]), [[pushed.get('sig'), 'application/vnd.example.signature']]);
    const bad = await get('/api/v1/repositories/team-a/app/manifests/sha256:nothex', reader);
    assert.equal(errorCode(bad), 'DIGEST_INVALID');
  });

  it('keeps storage, accounts and robots to admins', async () => {
    for (const path of ['/api/v1/storage', '/api/v1/storage/repositories', '/api/v1/storage/gc-plan', '/api/v1/accounts', '/api/v1/robots']) {
      const r = await get(path, reader);
      assert.equal(r.status, 403, path);
      assert.equal(errorCode(r), 'DENIED', path);
      assert.equal((await get(path)).status, 401, `${path} anonymous`);
    }
    const post = await json('POST', '/api/v1/robots', reader, { name: 'sneaky', pull: ['**'] });
    assert.equal(post.status, 403);
    assert.equal(await reg.registry.auth!.store.get('robot+sneaky'), undefined);
    // A registry token carries repository scopes only, never the admin API.
    const t = await c.token({ user: 'admin', pass: reg.security!.adminPassword }, ['registry:catalog:*']);
    assert.equal((await get('/api/v1/storage', bearer(t))).status, 403);
    assert.equal((await get('/api/v1/repositories', bearer(t))).status, 200);
    const me = (await get('/api/v1/me', reader)).json();
    assert.deepEqual(me, { name: 'reader', admin: false });
  });

  it('reports storage: deduplicated bytes, per-repository bytes', async () => {
    const s = (await get('/api/v1/storage', admin)).json<{ repositories: number; blobs: number; blobBytes: number; linkedBytes: number; dedupRatio: number }>();
    const distinct = [...blobSizes.values()].reduce((a, b) => a + b, 0);
    assert.equal(s.repositories, 4);
    assert.equal(s.blobs, blobSizes.size);
    assert.equal(s.blobBytes, distinct);
    // 'shared layer' is linked to team-a/app and team-b/secret.
    assert.equal(s.linkedBytes, distinct + Buffer.byteLength('shared layer'));
    assert.ok(s.dedupRatio > 1);
    const per = (await get('/api/v1/storage/repositories?q=team-b', admin)).json<{ repositories: { name: string; blobs: number; manifests: number; bytes: number }[] }>();
    const secretManifest = await get('/v2/team-b/secret/manifests/v1', admin);
    assert.equal(per.repositories.length, 1);
    assert.equal(per.repositories[0]!.blobs, 2);
    assert.equal(per.repositories[0]!.manifests, 1);
    const body = secretManifest.json<{ config: { size: number }; layers: { size: number }[] }>();
    assert.equal(per.repositories[0]!.bytes, secretManifest.body.length + body.config.size + body.layers[0]!.size);
  });

  it("shows what GC would reclaim after a tag is deleted, and the collector's run afterwards", async () => {
    const before = (await get('/api/v1/storage/gc-plan', admin)).json<{ manifests: number; bytes: number }>();
    assert.equal(before.manifests, 0);
    const del = await c.request('DELETE', '/v2/team-a/sub/deep/x/manifests/v2', { headers: { authorization: admin } });
    assert.equal(del.status, 202);
    const plan = (await get('/api/v1/storage/gc-plan', admin)).json<{ manifests: number; blobs: number; bytes: number; sample: { repo: string; digest: string }[] }>();
    assert.equal(plan.manifests, 1);
    assert.deepEqual(plan.sample.map((m) => [m.repo, m.digest]), [['team-a/sub/deep/x', pushed.get('team-a/sub/deep/x:v2')]]);
    assert.equal(plan.blobs, 2);
    assert.ok(plan.bytes >= Buffer.byteLength('deep two'));
    const run = await reg.registry.gc.run();
    const runs = (await get('/api/v1/storage', admin)).json<{ gcRuns: { manifests: number; bytes: number }[] }>().gcRuns;
    assert.equal(runs[0]!.manifests, 1);
    assert.equal(runs[0]!.bytes, run.bytes);
    assert.equal((await get('/api/v1/storage/gc-plan', admin)).json<{ manifests: number }>().manifests, 0);
  });

  it('creates, rotates and deletes robots; a token works once shown and stops when rotated', async () => {
    const bad = await json('POST', '/api/v1/robots', admin, { name: 'cluster', pull: ['Team-A/**'] });
    assert.equal(bad.status, 400);
    assert.match(bad.text(), /invalid repository glob/);
    assert.equal((await json('POST', '/api/v1/robots', admin, { name: 'cluster', pull: ['**'], admin: true })).status, 400, 'unknown fields are refused');
    const made = await json('POST', '/api/v1/robots', admin, { name: 'cluster', pull: ['team-a/**'] });
    assert.equal(made.status, 201, made.text());
    const m = made.json<{ robot: { name: string; admin: boolean; pull: string[] }; token: string; pullSecret: { auths: Record<string, { auth: string }> } }>();
    assert.equal(m.robot.name, 'robot+cluster');
    assert.equal(m.robot.admin, false);
    const entry = m.pullSecret.auths[reg.hostPort]!;
    assert.equal(Buffer.from(entry.auth, 'base64').toString(), `robot+cluster:${m.token}`);
    const robot = basic('robot+cluster', m.token);
    assert.equal((await get('/v2/team-a/app/manifests/v1', robot)).status, 200);
    assert.equal((await get('/api/v1/robots', robot)).status, 403);
    assert.equal((await json('POST', '/api/v1/robots', admin, { name: 'cluster', pull: ['**'] })).status, 409);
    const listed = (await get('/api/v1/robots', admin)).json<{ robots: Record<string, unknown>[] }>().robots;
    assert.deepEqual(listed.map((r) => r.name), ['robot+cluster']);
    assert.ok(listed.every((r) => !('secretHash' in r)), 'no hash is ever sent');
    const rotated = await json('POST', '/api/v1/robots/cluster/rotate', admin);
    assert.equal(rotated.status, 200);
    const fresh = basic('robot+cluster', rotated.json<{ token: string }>().token);
    assert.equal((await get('/v2/team-a/app/manifests/v1', robot)).status, 401, 'the old token stopped');
    assert.equal((await get('/v2/team-a/app/manifests/v1', fresh)).status, 200);
    assert.equal((await json('DELETE', '/api/v1/robots/robot+cluster', admin)).status, 204);
    assert.equal((await get('/v2/team-a/app/manifests/v1', fresh)).status, 401);
    const gone = await json('DELETE', '/api/v1/robots/cluster', admin);
    assert.equal(gone.status, 404);
    assert.equal(errorCode(gone), 'NAME_UNKNOWN');
    const accounts = (await get('/api/v1/accounts', admin)).json<{ accounts: { name: string }[] }>().accounts.map((a) => a.name).sort();
    assert.deepEqual(accounts, ['admin', 'reader']);
  });
});
