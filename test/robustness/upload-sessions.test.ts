/**
 * Open upload sessions (security issue #9, finding 5): capped per client
 * address and per account (429 TOOMANYREQUESTS with Retry-After), freed by
 * completing or cancelling; a session gets storage only at its first byte,
 * and the collector still purges sessions and stray directories.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent } from 'undici';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { RegistryClient, assertError, assertStatus, header, requireHeader, sha256, withQuery, type HttpResponse } from '../conformance/workflows.js';

const HOUR = 3600_000;
const octet = { 'content-type': 'application/octet-stream' };

function assertTooMany(res: HttpResponse, what: string, who: RegExp): void {
  assertError(res, 429, ['TOOMANYREQUESTS'], what);
  assert.match(header(res, 'retry-after') ?? '', /^\d+$/, `${what}: Retry-After must be a number of seconds`);
  const message = (JSON.parse(res.body.toString()) as { errors: { message: string }[] }).errors[0]!.message;
  assert.match(message, who, `${what}: the message names the exhausted cap`);
}

/** A client whose connections come from another loopback address. */
class OtherAddressClient {
  private readonly agent = new Agent({ localAddress: '127.0.0.2' });
  constructor(private readonly origin: string) {}
  async post(path: string): Promise<HttpResponse> {
    const res = await this.agent.request({ origin: this.origin, path, method: 'POST' });
    const body = Buffer.from(await res.body.arrayBuffer());
    return { status: res.statusCode, headers: res.headers, body, what: `POST ${path} (from 127.0.0.2)` };
  }
  close(): Promise<void> {
    return this.agent.close();
  }
}

describe('upload sessions per client address (no authentication)', { timeout: 120_000 }, () => {
  let h: AirlockHandle;
  let http: RegistryClient;
  let other: OtherAddressClient;
  const repo = 'caps/open';
  const start = () => http.request('POST', `/v2/${repo}/blobs/uploads/`);

  before(async () => {
    h = await startAirlock({ config: { uploads: { maxOpenPerAddress: 3 }, gc: { enabled: false } } });
    http = new RegistryClient(h.url);
    other = new OtherAddressClient(h.url);
  });
  after(async () => {
    await other?.close();
    await http?.close();
    await h?.close();
  });

  it('refuses the session past the cap with 429, per address, until one is completed or cancelled', async () => {
    const open: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await start();
      assertStatus(r, 202, `session ${i + 1} of 3`);
      open.push(http.resolve(requireHeader(r, 'location')));
    }
    assertTooMany(await start(), 'the 4th session from one address', /address 127\.0\.0\.1/);
    const blob = randomBytes(1000);
    assertTooMany(
      await http.request('POST', withQuery(`/v2/${repo}/blobs/uploads/`, { digest: sha256(blob) }), { headers: octet, body: blob }),
      'a single-request upload past the cap',
      /address/,
    );
    assertStatus(await other.post(`/v2/${repo}/blobs/uploads/`), 202, 'another address has its own cap');

    assertStatus(await http.request('DELETE', open.shift()!), 204, 'cancel one');
    const after1 = await start();
    assertStatus(after1, 202, 'a cancelled session no longer counts');
    open.push(http.resolve(requireHeader(after1, 'location')));
    assertTooMany(await start(), 'at the cap again', /address/);

    const put = await http.request('PUT', withQuery(open.shift()!, { digest: sha256(blob) }), { headers: octet, body: blob });
    assertStatus(put, 201, 'complete one');
    assertStatus(await start(), 202, 'a completed session no longer counts');
  });
});

describe('upload session storage', { timeout: 120_000 }, () => {
  let h: AirlockHandle;
  let http: RegistryClient;
  const start = () => http.request('POST', '/v2/caps/lazy/blobs/uploads/');
  const uploadsDir = () => join(h.dataDir, 'storage', 'uploads');
  const sessionDirs = async () => readdir(uploadsDir()).catch(() => [] as string[]);
  before(async () => {
    h = await startAirlock({ config: { gc: { enabled: false } } });
    http = new RegistryClient(h.url);
  });
  after(async () => {
    await http?.close();
    await h?.close();
  });

  it('creates no storage for a session that never sends a byte; the collector purges sessions with and without directories and stray directories', async () => {
    const silent = await start();
    assertStatus(silent, 202);
    const silentLoc = http.resolve(requireHeader(silent, 'location'));
    assertStatus(await http.request('GET', silentLoc), 204, 'a new session has a status');
    assert.equal(header(await http.request('GET', silentLoc), 'range'), '0-0');
    assert.deepEqual(await sessionDirs(), [], `a POST that sends nothing must not create anything under ${uploadsDir()}`);

    const fed = await start();
    const fedLoc = http.resolve(requireHeader(fed, 'location'));
    const fedId = requireHeader(fed, 'docker-upload-uuid');
    assertStatus(await http.request('PATCH', fedLoc, { headers: octet, body: Buffer.from('x') }), 202);
    assert.deepEqual(await sessionDirs(), [fedId], 'the first byte creates the session directory');

    // An empty blob pushed with POST + PUT (no byte ever) still commits.
    const emptyStart = await start();
    const empty = await http.request('PUT', withQuery(http.resolve(requireHeader(emptyStart, 'location')), { digest: sha256(Buffer.alloc(0)) }));
    assertStatus(empty, 201, 'an upload without bytes commits as the empty blob');

    const stray = randomUUID();
    await mkdir(join(uploadsDir(), stray));
    await h.registry.gc.run(Date.now());
    assert.ok(existsSync(join(uploadsDir(), stray)), 'a young directory without a session row is kept (it may be an upload starting)');
    assertStatus(await http.request('GET', silentLoc), 204, 'young sessions are kept');

    await h.registry.gc.run(Date.now() + 25 * HOUR);
    for (const [loc, what] of [[silentLoc, 'a session without bytes'], [fedLoc, 'a session with bytes']] as const) {
      assertError(await http.request('GET', loc), 404, ['BLOB_UPLOAD_UNKNOWN'], `${what} past the upload TTL`);
    }
    assert.deepEqual(await sessionDirs(), [], 'expired session directories and stray directories are removed');
  });
});

describe('upload sessions per account (TLS and authentication)', { timeout: 120_000 }, () => {
  let h: AirlockHandle;
  let a: RegistryClient;
  let b: RegistryClient;
  const repo = 'caps/auth';
  before(async () => {
    h = await startAirlock({ auth: 'token', config: { uploads: { maxOpenPerAccount: 2, maxOpenPerAddress: 3 } } });
    const sec = h.security!;
    const ra = await sec.addRobot('cap-a', { push: ['caps/**'] });
    const rb = await sec.addRobot('cap-b', { push: ['caps/**'] });
    a = new RegistryClient(h.url, { caCertPath: sec.caCertPath, credentials: { username: ra.username, password: ra.token } });
    b = new RegistryClient(h.url, { caCertPath: sec.caCertPath, credentials: { username: rb.username, password: rb.token } });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await h?.close();
  });

  it('caps each account, and all accounts of one address together', async () => {
    const start = (c: RegistryClient) => c.request('POST', `/v2/${repo}/blobs/uploads/`);
    const aOpen: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await start(a);
      assertStatus(r, 202, `robot+cap-a session ${i + 1}`);
      aOpen.push(a.resolve(requireHeader(r, 'location')));
    }
    assertTooMany(await start(a), 'robot+cap-a past its 2 sessions', /account "robot\+cap-a"/);
    assertStatus(await start(b), 202, 'robot+cap-b has its own account cap');
    assertTooMany(await start(b), 'the 4th session from the address (cap 3)', /address/);

    assertStatus(await a.request('DELETE', aOpen.shift()!), 204, 'robot+cap-a cancels one');
    assertStatus(await start(b), 202, 'the address has room again');
    assertTooMany(await start(a), 'the address is full again', /address/);
    assertTooMany(await start(b), 'robot+cap-b is at its own cap', /account "robot\+cap-b"|address/);
  });
});
