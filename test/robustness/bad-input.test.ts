/**
 * Bad input against airlock in-process: every rejection must carry the exact
 * OCI error code and HTTP status, nothing half-written may become visible,
 * and the server must keep answering /v2/ afterwards.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import {
  MT,
  RegistryClient,
  RegistryOps,
  assertEnvelope,
  assertError,
  assertStatus,
  descriptor,
  header,
  randomDigest,
  requireHeader,
  sha256,
  sha512,
  withQuery,
  type HttpResponse,
} from '../conformance/workflows.js';

// ---------------------------------------------------------------------------
// Raw HTTP over a socket, for requests undici refuses to send (bodies shorter
// or longer than their Content-Length, aborted mid-body).
// ---------------------------------------------------------------------------

interface RawResponse {
  status: number | undefined;
  headers: Record<string, string>;
  body: Buffer;
  /** Everything the server sent, for assertion messages. */
  raw: string;
}

/** Parses one HTTP/1.1 response from `data`; returns it and the bytes after it. */
function parseOneResponse(data: Buffer): { res: RawResponse; rest: Buffer } {
  const raw = data.toString('latin1').slice(0, 600);
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd < 0) return { res: { status: undefined, headers: {}, body: Buffer.alloc(0), raw }, rest: Buffer.alloc(0) };
  const lines = data.subarray(0, headEnd).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let rest = data.subarray(headEnd + 4);
  let body: Buffer;
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
    const parts: Buffer[] = [];
    while (rest.length > 0) {
      const eol = rest.indexOf('\r\n');
      if (eol < 0) break;
      const size = parseInt(rest.subarray(0, eol).toString('latin1'), 16);
      if (!Number.isFinite(size)) break;
      if (size === 0) {
        rest = rest.subarray(eol + 4);
        break;
      }
      parts.push(rest.subarray(eol + 2, eol + 2 + size));
      rest = rest.subarray(eol + 2 + size + 2);
    }
    body = Buffer.concat(parts);
  } else {
    const len = Number(headers['content-length'] ?? 0);
    body = rest.subarray(0, len);
    rest = rest.subarray(len);
  }
  return { res: { status: m ? Number(m[1]) : undefined, headers, body, raw }, rest };
}

function parseRawResponse(data: Buffer): RawResponse {
  return parseOneResponse(data).res;
}

/** Parses every (pipelined) response in `data`, in order. */
function parseRawResponses(data: Buffer): RawResponse[] {
  const out: RawResponse[] = [];
  let rest = data;
  while (rest.length > 0 && out.length < 10) {
    const { res, rest: next } = parseOneResponse(rest);
    out.push(res);
    if (res.status === undefined) break;
    rest = next;
  }
  return out;
}

/**
 * Writes `payload` to a fresh connection. `abort`: waits `waitMs`, then
 * destroys the socket (a client dying mid-body). `response`: reads until the
 * server closes (requests carry `Connection: close`) or 10 s pass.
 */
function rawExchange(hostPort: string, payload: Buffer, mode: 'abort' | 'response', waitMs = 250): Promise<RawResponse> {
  return rawBytes(hostPort, payload, mode, waitMs).then(parseRawResponse);
}

function rawBytes(hostPort: string, payload: Buffer, mode: 'abort' | 'response', waitMs = 250): Promise<Buffer> {
  const i = hostPort.lastIndexOf(':');
  const host = hostPort.slice(0, i);
  const port = Number(hostPort.slice(i + 1));
  assert.ok(host === '127.0.0.1' || host === 'localhost', `raw requests go to loopback only, not ${host}`);
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(Buffer.concat(chunks));
    };
    const timer = setTimeout(finish, mode === 'abort' ? waitMs : 10_000);
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('error', finish);
    sock.on('close', finish);
    sock.on('connect', () => {
      sock.write(payload);
    });
  });
}

function rawHead(method: string, path: string, hostPort: string, headers: Record<string, string>): string {
  const lines = [`${method} ${path} HTTP/1.1`, `Host: ${hostPort}`];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  return lines.join('\r\n') + '\r\n\r\n';
}

// ---------------------------------------------------------------------------

const NAME_RE = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;

describe('robustness: bad input against airlock', () => {
  let airlock: AirlockHandle | undefined;
  let client: RegistryClient | undefined;
  const prefix = `robustness/${randomBytes(5).toString('hex')}`;
  const repo = (slug: string): string => `${prefix}/${slug}`;
  const http = (): RegistryClient => {
    assert.ok(client, 'airlock was not started');
    return client;
  };
  const ops = (): RegistryOps => new RegistryOps(http());
  const hostPort = (): string => {
    assert.ok(airlock, 'airlock was not started');
    return airlock.hostPort;
  };

  before(async () => {
    airlock = await startAirlock();
    client = new RegistryClient(airlock.url);
  });
  after(async () => {
    try {
      await client?.close();
    } finally {
      await airlock?.close();
    }
  });
  afterEach(async () => {
    // Whatever the test threw at it, the registry must still answer.
    if (!client) return;
    const ping = await http().request('GET', '/v2/');
    assertStatus(ping, 200, 'registry still answers /v2/ after the test');
  });

  /** Starts an upload session and returns its path (Location resolved). */
  const startUpload = async (r: string): Promise<string> => {
    const res = await http().request('POST', `/v2/${r}/blobs/uploads/`);
    assertStatus(res, 202, 'start upload');
    return http().resolve(requireHeader(res, 'location'));
  };

  /** Asserts, several times over ~600 ms, that none of the digests exist in the repo. */
  const assertBlobsInvisible = async (r: string, digests: readonly string[], why: string): Promise<void> => {
    for (let round = 0; round < 4; round++) {
      for (const d of digests) {
        const head = await http().request('HEAD', `/v2/${r}/blobs/${d}`);
        assertStatus(head, 404, `${why}: blob ${d} must not be visible (round ${round})`);
        const get = await http().request('GET', `/v2/${r}/blobs/${d}`);
        assertError(get, 404, ['BLOB_UNKNOWN', 'NAME_UNKNOWN'], `${why}: blob ${d}`);
      }
      if (round < 3) await sleep(200);
    }
  };

  const assertManifestInvisible = async (r: string, refs: readonly string[], why: string): Promise<void> => {
    for (const ref of refs) {
      const res = await ops().getManifest(r, ref);
      assertError(res, 404, ['MANIFEST_UNKNOWN', 'NAME_UNKNOWN'], `${why}: manifest ${ref} must not be visible`);
    }
  };

  const validManifestFor = async (r: string): Promise<{ bytes: Buffer; manifest: Record<string, unknown> }> => {
    const img = await ops().pushImage(r, ['base']);
    const manifest = JSON.parse(img.manifest.toString('utf8')) as Record<string, unknown>;
    return { bytes: img.manifest, manifest };
  };

  // -------------------------------------------------------------------------
  describe('manifests', () => {
    it('manifest.malformed-json: malformed or structurally invalid manifests answer 400 MANIFEST_INVALID', async () => {
      const r = repo('manifest/malformed');
      const { manifest } = await validManifestFor(r);
      const bodies: [string, string][] = [
        ['truncated JSON', '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{'],
        ['not JSON', 'this is not a manifest'],
        ['empty body', ''],
        ['JSON array', '[]'],
        ['JSON null', 'null'],
        ['JSON string', '"manifest"'],
        ['no config and layers', JSON.stringify({ schemaVersion: 2, mediaType: MT.ociManifest })],
        ['config is a string', JSON.stringify({ ...manifest, config: 'nope' })],
        ['layers is an object', JSON.stringify({ ...manifest, layers: {} })],
        ['schemaVersion 3', JSON.stringify({ ...manifest, schemaVersion: 3 })],
        ['schemaVersion missing', JSON.stringify({ ...manifest, schemaVersion: undefined })],
      ];
      for (const [what, text] of bodies) {
        const bytes = Buffer.from(text);
        const res = await ops().putManifest(r, 'bad', bytes, MT.ociManifest);
        assertError(res, 400, ['MANIFEST_INVALID'], what);
        await assertManifestInvisible(r, ['bad', sha256(bytes)], what);
      }
      // The valid tag pushed before is untouched.
      assertStatus(await ops().getManifest(r, 'base'), 200, 'existing tag survives rejected pushes');
    });

    it('manifest.media-type-mismatch: a mediaType field contradicting Content-Type answers 400 MANIFEST_INVALID', async () => {
      const r = repo('manifest/mismatch');
      const { bytes, manifest } = await validManifestFor(r);
      // OCI manifest bytes (mediaType: OCI manifest) sent as a Docker manifest…
      const asDocker = await ops().putManifest(r, 'as-docker', bytes, MT.dockerManifest);
      assertError(asDocker, 400, ['MANIFEST_INVALID'], 'OCI manifest sent as Docker schema2');
      // …or as an OCI index.
      const asIndex = await ops().putManifest(r, 'as-index', bytes, MT.ociIndex);
      assertError(asIndex, 400, ['MANIFEST_INVALID'], 'OCI manifest sent as OCI index');
      // An index body claiming to be a manifest.
      const index = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MT.ociIndex,
          manifests: [{ mediaType: MT.ociManifest, digest: sha256(bytes), size: bytes.length }],
        }),
      );
      const idxAsManifest = await ops().putManifest(r, 'idx-as-manifest', index, MT.ociManifest);
      assertError(idxAsManifest, 400, ['MANIFEST_INVALID'], 'OCI index sent as OCI manifest');
      // A Docker-typed body sent as OCI.
      const dockerBody = Buffer.from(JSON.stringify({ ...manifest, mediaType: MT.dockerManifest }));
      const dockerAsOci = await ops().putManifest(r, 'docker-as-oci', dockerBody, MT.ociManifest);
      assertError(dockerAsOci, 400, ['MANIFEST_INVALID'], 'Docker manifest sent as OCI manifest');
      await assertManifestInvisible(r, ['as-docker', 'as-index', 'idx-as-manifest', 'docker-as-oci', sha256(index), sha256(dockerBody)], 'rejected');
      // The same bytes under their own Content-Type are still accepted.
      assertStatus(await ops().putManifest(r, 'ok', bytes, MT.ociManifest), 201, 'matching Content-Type');
    });

    it('manifest.too-large: a manifest over 4 MiB is rejected with a 4xx and the error envelope', async () => {
      const r = repo('manifest/too-large');
      const { manifest } = await validManifestFor(r);
      const big = Buffer.from(
        JSON.stringify({ ...manifest, annotations: { 'org.example.padding': 'x'.repeat(4 * 1024 * 1024 + 1024) } }),
      );
      assert.ok(big.length > 4 * 1024 * 1024);
      const res = await ops().putManifest(r, 'big', big, MT.ociManifest);
      assert.ok(res.status >= 400 && res.status < 500, `expected 4xx for a ${big.length}-byte manifest, got ${res.status}`);
      assertError(res, [400, 413], ['SIZE_INVALID', 'MANIFEST_INVALID']);
      await assertManifestInvisible(r, ['big', sha256(big)], 'oversized manifest');
    });
  });

  // -------------------------------------------------------------------------
  describe('uploads', () => {
    it('upload.truncated-put: a client dying mid-PUT leaves no visible blob', async (t) => {
      const r = repo('upload/truncated-put');
      const data = randomBytes(256 * 1024);
      const full = sha256(data);
      const half = data.subarray(0, data.length / 2);
      const loc = await startUpload(r);
      const head = rawHead('PUT', withQuery(loc, { digest: full }), hostPort(), {
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(data.length),
      });
      const res = await rawExchange(hostPort(), Buffer.concat([Buffer.from(head, 'latin1'), half]), 'abort', 300);
      assert.ok(res.status === undefined || res.status >= 400, `truncated PUT must not succeed; server said: ${res.raw}`);
      await assertBlobsInvisible(r, [full, sha256(half)], 'after an aborted PUT');
      // Finishing the same session properly must never yield a corrupt blob.
      const retry = await http().request('PUT', withQuery(loc, { digest: full }), {
        headers: { 'content-type': 'application/octet-stream' },
        body: data,
      });
      t.diagnostic(`aborted PUT: server answered ${res.status ?? 'nothing'}; retrying the session answered ${retry.status}`);
      if (retry.status === 201) {
        const get = await http().request('GET', `/v2/${r}/blobs/${full}`);
        assertStatus(get, 200);
        assert.deepEqual(get.body, data, 'a blob completed after an aborted PUT must be byte-exact');
      } else {
        assertError(retry, [400, 404, 416], ['BLOB_UPLOAD_UNKNOWN', 'DIGEST_INVALID', 'BLOB_UPLOAD_INVALID', 'SIZE_INVALID', 'RANGE_INVALID']);
        await assertBlobsInvisible(r, [full], 'after a refused retry');
      }
    });

    it('upload.truncated-patch: a client dying mid-PATCH cannot be completed into the full digest', async (t) => {
      const r = repo('upload/truncated-patch');
      const data = randomBytes(256 * 1024);
      const full = sha256(data);
      const half = data.subarray(0, data.length / 2);
      const loc = await startUpload(r);
      const head = rawHead('PATCH', loc, hostPort(), {
        'Content-Type': 'application/octet-stream',
        'Content-Range': `0-${data.length - 1}`,
        'Content-Length': String(data.length),
      });
      const res = await rawExchange(hostPort(), Buffer.concat([Buffer.from(head, 'latin1'), half]), 'abort', 300);
      assert.ok(res.status === undefined || res.status >= 400, `truncated PATCH must not succeed; server said: ${res.raw}`);
      const close = await http().request('PUT', withQuery(loc, { digest: full }));
      t.diagnostic(`aborted PATCH: server answered ${res.status ?? 'nothing'}; closing with the full digest answered ${close.status}${close.status >= 400 ? ` ${close.body.toString('utf8').slice(0, 200)}` : ''}`);
      assert.notEqual(close.status, 201, 'closing a truncated upload with the full digest must fail');
      assertError(close, [400, 404, 416], ['DIGEST_INVALID', 'BLOB_UPLOAD_UNKNOWN', 'BLOB_UPLOAD_INVALID', 'SIZE_INVALID', 'RANGE_INVALID']);
      await assertBlobsInvisible(r, [full, sha256(half)], 'after an aborted PATCH');
    });

    it('upload.truncated-single-post: a client dying mid single-POST leaves no visible blob', async () => {
      const r = repo('upload/truncated-post');
      const data = randomBytes(256 * 1024);
      const full = sha256(data);
      const half = data.subarray(0, data.length / 2);
      const head = rawHead('POST', withQuery(`/v2/${r}/blobs/uploads/`, { digest: full }), hostPort(), {
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(data.length),
      });
      const res = await rawExchange(hostPort(), Buffer.concat([Buffer.from(head, 'latin1'), half]), 'abort', 300);
      assert.ok(res.status === undefined || res.status >= 400, `truncated POST must not succeed; server said: ${res.raw}`);
      await assertBlobsInvisible(r, [full, sha256(half)], 'after an aborted single POST');
    });

    it('upload.content-range-length-mismatch: PATCH whose Content-Range disagrees with its body is rejected and writes nothing', async () => {
      const r = repo('upload/range-mismatch');
      const data = randomBytes(100);
      const loc = await startUpload(r);
      // Range says 100 bytes, body has 50.
      const short = await http().request('PATCH', loc, {
        headers: { 'content-type': 'application/octet-stream', 'content-range': '0-99', 'content-length': '50' },
        body: data.subarray(0, 50),
      });
      assertError(short, [400, 416], ['BLOB_UPLOAD_INVALID', 'RANGE_INVALID', 'SIZE_INVALID'], 'Content-Range 0-99 with 50 bytes');
      // Range says 50 bytes, body has 100.
      const long = await http().request('PATCH', loc, {
        headers: { 'content-type': 'application/octet-stream', 'content-range': '0-49', 'content-length': '100' },
        body: data,
      });
      assertError(long, [400, 416], ['BLOB_UPLOAD_INVALID', 'RANGE_INVALID', 'SIZE_INVALID'], 'Content-Range 0-49 with 100 bytes');
      // Nothing was written: the correct first chunk is still accepted at offset 0.
      const good = await http().request('PATCH', loc, {
        headers: { 'content-type': 'application/octet-stream', 'content-range': '0-99', 'content-length': '100' },
        body: data,
      });
      assertStatus(good, 202, 'the correct chunk after the rejected ones');
      assert.equal(header(good, 'range'), '0-99');
      const put = await http().request('PUT', withQuery(http().resolve(requireHeader(good, 'location')), { digest: sha256(data) }));
      assertStatus(put, 201);
      const get = await http().request('GET', `/v2/${r}/blobs/${sha256(data)}`);
      assert.deepEqual(get.body, data);
    });

    it('upload.content-length-mismatch: a PUT carrying more bytes than its Content-Length reads exactly Content-Length bytes', async () => {
      const r = repo('upload/length-mismatch');
      const loc = await startUpload(r);
      const declared = randomBytes(100);
      // The bytes after the declared body form a complete, valid request; a
      // server that reads past Content-Length would swallow it into the blob.
      const next = Buffer.from(rawHead('GET', '/v2/', hostPort(), { Connection: 'close' }), 'latin1');
      const sent = Buffer.concat([declared, next]);
      const claimed = sha256(sent); // the digest of everything sent: must not match the 100 bytes read
      const head = rawHead('PUT', withQuery(loc, { digest: claimed }), hostPort(), {
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(declared.length),
      });
      const responses = parseRawResponses(await rawBytes(hostPort(), Buffer.concat([Buffer.from(head, 'latin1'), sent]), 'response'));
      const [put, ping] = responses;
      assert.ok(put !== undefined && ping !== undefined, `expected two responses, got ${responses.length}: ${responses.map((x) => x.raw).join(' | ')}`);
      assert.equal(put.status, 400, `PUT: expected 400, server said: ${put.raw}`);
      assert.match(put.headers['content-type'] ?? '', /^application\/json\b/);
      const env = JSON.parse(put.body.toString('utf8')) as { errors?: { code?: string }[] };
      assert.equal(env.errors?.[0]?.code, 'DIGEST_INVALID', `expected the DIGEST_INVALID envelope, server said: ${put.raw}`);
      assert.equal(ping.status, 200, `the bytes after Content-Length must be answered as their own request: ${ping.raw}`);
      await assertBlobsInvisible(r, [claimed, sha256(declared)], 'after a length mismatch');
    });

    it('upload.wrong-digest: every way of finishing an upload with the wrong digest answers 400 DIGEST_INVALID', async () => {
      const r = repo('upload/wrong-digest');
      const data = randomBytes(4096);
      const other = randomDigest();
      // Monolithic PUT.
      let loc = await startUpload(r);
      assertError(
        await http().request('PUT', withQuery(loc, { digest: other }), { headers: { 'content-type': 'application/octet-stream' }, body: data }),
        400,
        ['DIGEST_INVALID'],
        'monolithic PUT',
      );
      // Single POST.
      assertError(
        await http().request('POST', withQuery(`/v2/${r}/blobs/uploads/`, { digest: other }), {
          headers: { 'content-type': 'application/octet-stream' },
          body: data,
        }),
        400,
        ['DIGEST_INVALID'],
        'single POST',
      );
      // Chunked, then a PUT naming the wrong digest.
      loc = await startUpload(r);
      const patch = await http().request('PATCH', loc, {
        headers: { 'content-type': 'application/octet-stream', 'content-range': `0-${data.length - 1}`, 'content-length': String(data.length) },
        body: data,
      });
      assertStatus(patch, 202);
      assertError(
        await http().request('PUT', withQuery(http().resolve(requireHeader(patch, 'location')), { digest: other })),
        400,
        ['DIGEST_INVALID'],
        'chunked then PUT',
      );
      // A sha512 claim that does not match.
      loc = await startUpload(r);
      const wrong512 = sha512(randomBytes(10));
      assertError(
        await http().request('PUT', withQuery(loc, { digest: wrong512 }), { headers: { 'content-type': 'application/octet-stream' }, body: data }),
        400,
        ['DIGEST_INVALID'],
        'sha512 mismatch',
      );
      await assertBlobsInvisible(r, [other, wrong512, sha256(data), sha512(data)], 'after wrong digests');
    });

    it('upload.unknown-uuid: unknown or traversal-like upload ids answer 404 BLOB_UPLOAD_UNKNOWN', async () => {
      const r = repo('upload/unknown-uuid');
      await ops().pushBlob(r, randomBytes(16)); // the repository exists
      const ids = [randomUUID(), 'not-a-uuid', '..%2F..%2Fx', '..%2f..%2f..%2fetc%2fpasswd', '%2e%2e', '..%5C..%5Cx', 'x'.repeat(500)];
      const data = randomBytes(10);
      for (const id of ids) {
        const path = `/v2/${r}/blobs/uploads/${id}`;
        assertError(await http().request('GET', path), 404, ['BLOB_UPLOAD_UNKNOWN'], `GET upload ${id}`);
        assertError(
          await http().request('PATCH', path, { headers: { 'content-type': 'application/octet-stream' }, body: data }),
          404,
          ['BLOB_UPLOAD_UNKNOWN'],
          `PATCH upload ${id}`,
        );
        assertError(
          await http().request('PUT', withQuery(path, { digest: sha256(data) }), {
            headers: { 'content-type': 'application/octet-stream' },
            body: data,
          }),
          404,
          ['BLOB_UPLOAD_UNKNOWN'],
          `PUT upload ${id}`,
        );
        assertError(await http().request('DELETE', path), 404, ['BLOB_UPLOAD_UNKNOWN'], `DELETE upload ${id}`);
      }
      // Raw `../../x` is not an upload route at all once the segments are read; it must still be a JSON 404.
      const rawTraversal = await http().request('GET', `/v2/${r}/blobs/uploads/../../x`);
      assertStatus(rawTraversal, 404);
      assertEnvelope(rawTraversal);
      await assertBlobsInvisible(r, [sha256(data)], 'after unknown-upload writes');
    });

    it("upload.foreign-session: an upload id used under another repository answers 404 BLOB_UPLOAD_UNKNOWN", async () => {
      const a = repo('upload/session-owner');
      const b = repo('upload/session-thief');
      await ops().pushBlob(b, randomBytes(16));
      const loc = await startUpload(a);
      const stolen = loc.replace(`/v2/${a}/`, `/v2/${b}/`);
      assert.notEqual(stolen, loc, `upload Location ${loc} should contain the repository name`);
      const data = randomBytes(64);
      assertError(await http().request('GET', stolen), 404, ['BLOB_UPLOAD_UNKNOWN'], 'GET');
      assertError(
        await http().request('PUT', withQuery(stolen, { digest: sha256(data) }), {
          headers: { 'content-type': 'application/octet-stream' },
          body: data,
        }),
        404,
        ['BLOB_UPLOAD_UNKNOWN'],
        'PUT',
      );
      await assertBlobsInvisible(b, [sha256(data)], 'foreign session');
      await assertBlobsInvisible(a, [sha256(data)], 'foreign session');
      // The owner can still use its session.
      assertStatus(await http().request('GET', loc), 204, 'owner session still alive');
    });
  });

  // -------------------------------------------------------------------------
  describe('names and digests in paths', () => {
    const badNames = (): [string, string][] => [
      ['../x', '../x'],
      ['a/../b', `${prefix}/../b`],
      ['./x', `${prefix}/./x`],
      ['uppercase', `${prefix}/UpperCase`],
      ['300 characters', `${prefix}/${'a'.repeat(300 - prefix.length - 1)}`],
      ['%2e%2e', `%2e%2e/x`],
      ['%2e%2e component', `${prefix}/%2e%2e/x`],
      ['encoded slash traversal', `${prefix}%2F..%2Fx`],
      ['encoded slash', `${prefix}%2Fx`],
      ['empty component', `${prefix}//x`],
      ['trailing separator', `${prefix}/x-`],
      ['NUL byte', `${prefix}/a%00b`],
      ['backslash', `${prefix}/a%5C..%5Cb`],
    ];

    it('names.invalid-in-every-slot: invalid repository names answer 400 NAME_INVALID (or 404 NAME_UNKNOWN) everywhere', async () => {
      const cfg = Buffer.from('{}');
      const body = Buffer.from(
        JSON.stringify({ schemaVersion: 2, mediaType: MT.ociManifest, config: descriptor(MT.ociEmpty, cfg), layers: [] }),
      );
      const d = randomDigest();
      for (const [what, name] of badNames()) {
        assert.ok(!NAME_RE.test(name) || name.length > 255, `fixture ${what} should be invalid`);
        const slots: [string, string, Buffer | null, Record<string, string>][] = [
          ['GET', `/v2/${name}/manifests/latest`, null, {}],
          ['HEAD', `/v2/${name}/manifests/latest`, null, {}],
          ['PUT', `/v2/${name}/manifests/latest`, body, { 'content-type': MT.ociManifest }],
          ['DELETE', `/v2/${name}/manifests/${d}`, null, {}],
          ['GET', `/v2/${name}/blobs/${d}`, null, {}],
          ['HEAD', `/v2/${name}/blobs/${d}`, null, {}],
          ['DELETE', `/v2/${name}/blobs/${d}`, null, {}],
          ['POST', `/v2/${name}/blobs/uploads/`, null, {}],
          ['POST', withQuery(`/v2/${name}/blobs/uploads/`, { digest: sha256(cfg) }), cfg, { 'content-type': 'application/octet-stream' }],
          ['GET', `/v2/${name}/blobs/uploads/${randomUUID()}`, null, {}],
          ['PATCH', `/v2/${name}/blobs/uploads/${randomUUID()}`, cfg, { 'content-type': 'application/octet-stream' }],
          ['PUT', withQuery(`/v2/${name}/blobs/uploads/${randomUUID()}`, { digest: sha256(cfg) }), cfg, { 'content-type': 'application/octet-stream' }],
          ['DELETE', `/v2/${name}/blobs/uploads/${randomUUID()}`, null, {}],
          ['GET', `/v2/${name}/tags/list`, null, {}],
          ['GET', `/v2/${name}/referrers/${d}`, null, {}],
        ];
        for (const [method, path, reqBody, headers] of slots) {
          const res: HttpResponse = await http().request(method, path, { headers, body: reqBody });
          const ctx = `name ${what}`;
          if (res.status === 404) assertError(res, 404, ['NAME_UNKNOWN'], ctx);
          else assertError(res, 400, ['NAME_INVALID'], ctx);
        }
      }
      // A mount naming an invalid source repository.
      const target = repo('names/mount-target');
      for (const [what, name] of badNames()) {
        const res = await http().request('POST', `/v2/${target}/blobs/uploads/?mount=${d}&from=${name}`);
        if (res.status !== 202) assertError(res, [400, 404], ['NAME_INVALID', 'NAME_UNKNOWN'], `mount from ${what}`);
      }
      // Nothing with an invalid name made it into the catalog.
      let path: string | undefined = '/v2/_catalog?n=1000';
      for (let page = 0; path !== undefined && page < 100; page++) {
        const cat = await http().request('GET', path);
        assertStatus(cat, 200);
        const list = (JSON.parse(cat.body.toString('utf8')) as { repositories: string[] }).repositories;
        for (const n of list) assert.match(n, NAME_RE, `catalog lists an invalid repository name ${JSON.stringify(n)}`);
        const link = header(cat, 'link');
        const m = link ? /<([^>]*)>/.exec(link) : null;
        path = m?.[1] !== undefined ? http().resolve(m[1]) : undefined;
      }
    });

    it('digests.invalid-in-path: malformed digests answer 400 DIGEST_INVALID in every slot', async () => {
      const r = repo('digests/invalid');
      const src = repo('digests/mount-source');
      const data = randomBytes(32);
      await ops().pushBlob(r, data);
      await ops().pushBlob(src, data);
      const body = Buffer.from(
        JSON.stringify({ schemaVersion: 2, mediaType: MT.ociManifest, config: descriptor(MT.ociEmpty, Buffer.from('{}')), layers: [] }),
      );
      const hex = createHash('sha256').update(data).digest('hex');
      // Path forms (a raw '/' would change the route, so traversal is percent-encoded).
      const bad: [string, string][] = [
        ['traversal', 'sha256:..%2F..%2Fetc%2Fpasswd'],
        ['dot-dot', 'sha256:..'],
        ['md5', 'md5:d41d8cd98f00b204e9800998ecf8427e'],
        ['short hex', 'sha256:abc123'],
        ['uppercase hex', `sha256:${hex.toUpperCase()}`],
        ['non-hex', `sha256:${hex.slice(0, 63)}g`],
        ['sha512 with 64 hex', `sha512:${hex}`],
        ['empty hex', 'sha256:'],
        ['empty algorithm', `:${hex}`],
        ['too long', `sha256:${hex}${hex}`],
      ];
      const blobOnly: [string, string][] = [['no algorithm', hex]];
      const check = async (method: string, path: string, what: string, reqBody: Buffer | null = null, headers: Record<string, string> = {}): Promise<void> => {
        const res = await http().request(method, path, { headers, body: reqBody });
        assertError(res, 400, ['DIGEST_INVALID'], what);
      };
      for (const [what, dg] of [...bad, ...blobOnly]) {
        await check('GET', `/v2/${r}/blobs/${dg}`, `GET blob ${what}`);
        await check('HEAD', `/v2/${r}/blobs/${dg}`, `HEAD blob ${what}`);
        await check('DELETE', `/v2/${r}/blobs/${dg}`, `DELETE blob ${what}`);
        await check('GET', `/v2/${r}/referrers/${dg}`, `referrers ${what}`);
      }
      for (const [what, dg] of bad) {
        await check('GET', `/v2/${r}/manifests/${dg}`, `GET manifest ${what}`);
        await check('HEAD', `/v2/${r}/manifests/${dg}`, `HEAD manifest ${what}`);
        await check('DELETE', `/v2/${r}/manifests/${dg}`, `DELETE manifest ${what}`);
        await check('PUT', `/v2/${r}/manifests/${dg}`, `PUT manifest ${what}`, body, { 'content-type': MT.ociManifest });
      }
      // Query forms: the real strings, encoded by withQuery.
      const queryBad = [
        'sha256:../../etc/passwd',
        'md5:d41d8cd98f00b204e9800998ecf8427e',
        'sha256:abc123',
        `sha256:${hex.toUpperCase()}`,
        hex,
        `sha256:${hex}/../x`,
      ];
      for (const dg of queryBad) {
        const loc = await startUpload(r);
        await check('PUT', withQuery(loc, { digest: dg }), `PUT upload ?digest=${dg}`, data, { 'content-type': 'application/octet-stream' });
        await check('POST', withQuery(`/v2/${r}/blobs/uploads/`, { digest: dg }), `POST ?digest=${dg}`, data, {
          'content-type': 'application/octet-stream',
        });
        // A failed mount MAY fall back to a fresh upload session (202); anything else is 400 DIGEST_INVALID.
        const mount = await http().request('POST', withQuery(`/v2/${r}/blobs/uploads/`, { mount: dg, from: src }));
        if (mount.status !== 202) assertError(mount, 400, ['DIGEST_INVALID'], `POST ?mount=${dg}`);
      }
      // The real blob is still there and nothing else appeared.
      assertStatus(await http().request('HEAD', `/v2/${r}/blobs/sha256:${hex}`), 200);
    });
  });

  // -------------------------------------------------------------------------
  describe('concurrency', () => {
    it('concurrent.same-blob: 10 clients uploading the same 5 MiB blob all get 201 and the same digest', { timeout: 180_000 }, async () => {
      const data = randomBytes(5 * 1024 * 1024);
      const digest = sha256(data);

      const monolithic = async (r: string): Promise<HttpResponse> => {
        const loc = await startUpload(r);
        return http().request('PUT', withQuery(loc, { digest }), { headers: { 'content-type': 'application/octet-stream' }, body: data });
      };
      const chunked = async (r: string): Promise<HttpResponse> => {
        let loc = await startUpload(r);
        const cut = [0, 1_500_000, 3_000_001, data.length];
        for (let i = 0; i + 1 < cut.length; i++) {
          const a = cut[i] ?? 0;
          const b = cut[i + 1] ?? data.length;
          const res = await http().request('PATCH', loc, {
            headers: { 'content-type': 'application/octet-stream', 'content-range': `${a}-${b - 1}`, 'content-length': String(b - a) },
            body: data.subarray(a, b),
          });
          assertStatus(res, 202, `chunk ${a}-${b - 1} in ${r}`);
          loc = http().resolve(requireHeader(res, 'location'));
        }
        return http().request('PUT', withQuery(loc, { digest }));
      };
      const single = (r: string): Promise<HttpResponse> =>
        http().request('POST', withQuery(`/v2/${r}/blobs/uploads/`, { digest }), {
          headers: { 'content-type': 'application/octet-stream' },
          body: data,
        });
      const ways = [monolithic, chunked, single];

      const same = repo('concurrent/same');
      const different = Array.from({ length: 10 }, (_, i) => repo(`concurrent/r${i}`));
      const jobs = [
        ...Array.from({ length: 10 }, (_, i) => ({ r: same, run: ways[i % ways.length]! })),
        ...different.map((r, i) => ({ r, run: ways[i % ways.length]! })),
      ];
      const results = await Promise.allSettled(jobs.map((j) => j.run(j.r)));
      results.forEach((res, i) => {
        const job = jobs[i]!;
        assert.equal(res.status, 'fulfilled', `upload #${i} (${job.run.name}) into ${job.r} threw: ${res.status === 'rejected' ? String(res.reason) : ''}`);
        if (res.status !== 'fulfilled') return;
        assertStatus(res.value, 201, `upload #${i} (${job.run.name}) into ${job.r}`);
        assert.equal(header(res.value, 'docker-content-digest'), digest, `upload #${i} digest`);
      });
      for (const r of [same, ...different]) {
        const get = await http().request('GET', `/v2/${r}/blobs/${digest}`);
        assertStatus(get, 200, r);
        assert.equal(get.body.length, data.length, `length in ${r}`);
        assert.equal(sha256(get.body), digest, `content in ${r}`);
      }
    });
  });
});
