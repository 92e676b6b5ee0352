/**
 * `airlock serve --sparse-repo GLOB` (repeatable) and its alias
 * `--sparse-index-repo`, as a real process: in matching repositories an
 * image manifest with absent config and layers and an index with absent
 * children are accepted (201) and served byte for byte; everywhere else the
 * same manifests are refused with MANIFEST_BLOB_UNKNOWN, as before.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { startAirlockProcess, type AirlockProcess } from '../helpers/airlock-process.js';

const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const absent = (): string => sha(randomBytes(16));
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

describe('airlock serve --sparse-repo / --sparse-index-repo', () => {
  let p: AirlockProcess;
  before(async () => {
    p = await startAirlockProcess({ args: ['--sparse-repo', 'mirror/**', '--sparse-repo', 'extra/one', '--sparse-index-repo', 'legacy/*'] });
  });
  after(async () => {
    await p?.stop();
  });

  const image = (): Buffer => Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: absent(), size: 100 }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: absent(), size: 2000 }] }));
  const index = (): Buffer => Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: absent(), size: 500, platform: { os: 'linux', architecture: 'arm64' } }] }));
  const put = async (repo: string, ref: string, body: Buffer, type: string): Promise<{ status: number; code?: string }> => {
    const res = await fetch(`${p.url}/v2/${repo}/manifests/${ref}`, { method: 'PUT', headers: { 'content-type': type }, body });
    const text = await res.text();
    return { status: res.status, ...(res.status >= 400 ? { code: (JSON.parse(text) as { errors: { code: string }[] }).errors[0]!.code } : {}) };
  };

  it('accepts and serves sparse manifests in the matching repositories (both flags, repeatable)', async () => {
    for (const repo of ['mirror/a/b', 'extra/one', 'legacy/x']) {
      for (const [body, type] of [[image(), OCI_MANIFEST], [index(), OCI_INDEX]] as const) {
        assert.deepEqual(await put(repo, 'v1', body, type), { status: 201 }, `${repo} ${type}`);
        for (const ref of ['v1', sha(body)]) {
          const get = await fetch(`${p.url}/v2/${repo}/manifests/${ref}`, { headers: { accept: type } });
          assert.equal(get.status, 200);
          assert.deepEqual(Buffer.from(await get.arrayBuffer()), body, `${repo} ${ref}`);
          assert.equal(get.headers.get('docker-content-digest'), sha(body));
        }
      }
    }
  });

  it('checks references everywhere else', async () => {
    for (const repo of ['other/x', 'extra/two', 'legacy/x/deeper', 'mirror']) {
      for (const [body, type] of [[image(), OCI_MANIFEST], [index(), OCI_INDEX]] as const) {
        assert.deepEqual(await put(repo, 'v1', body, type), { status: 400, code: 'MANIFEST_BLOB_UNKNOWN' }, `${repo} ${type}`);
        assert.equal((await fetch(`${p.url}/v2/${repo}/manifests/v1`, { method: 'HEAD' })).status, 404);
      }
    }
  });
});
