/**
 * TLS material: the generated CA (10 years) and server certificate (more
 * than 2 years, DNS and IP SANs incl. localhost/127.0.0.1/::1/--san), key
 * modes, reuse and re-issue rules, renewal from the same CA and hot reload,
 * and your own --tls-cert/--tls-key.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa, issueServerCert } from '../../src/tls/ca.js';
import { fqdnsFromHosts, normalizeSan } from '../../src/tls/host-names.js';
import { ensureManagedTls, tlsPaths } from '../../src/tls/managed-tls.js';
import { startRegistry } from '../../src/server/start.js';
import { startAirlock } from '../helpers/airlock-server.js';

const DAY = 86_400_000;
const HOSTS = '127.0.0.1 localhost\n10.1.2.3 mirror.lab.example mirror # the registry host\n';

/** The leaf certificate a TLS server at 127.0.0.1:port presents, verified against `ca`. */
function servedCert(port: number, ca: Buffer | string, servername?: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', ca, ...(servername ? { servername, headers: { host: `${servername}:${port}` } } : {}), agent: false }, (res) => {
      const peer = (res.socket as TLSSocket).getPeerX509Certificate();
      res.resume();
      res.on('end', () => (peer ? resolve(peer) : reject(new Error('no peer certificate'))));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('TLS material', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-tls-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('first start creates a 10-year CA and a >2-year server certificate with DNS and IP names', async () => {
    const data = join(dir, 'a');
    const t = await ensureManagedTls(data, { hostname: 'mirror', hostsFile: writeHosts(dir), sans: ['registry.example.com', '192.0.2.10'] });
    assert.equal(t.caCreated, true);
    const ca = new X509Certificate(readFileSync(t.paths.caCert));
    const leaf = new X509Certificate(t.cert);
    assert.equal(ca.ca, true);
    assert.ok(new Date(ca.validTo).getTime() - Date.now() > 3650 * DAY - 2 * DAY, `CA valid until ${ca.validTo}`);
    assert.equal(leaf.ca, false);
    assert.ok(new Date(leaf.validTo).getTime() - Date.now() >= 730 * DAY, `server valid until ${leaf.validTo}`);
    assert.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey), 'signed by the CA');
    assert.equal(leaf.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.equal(ca.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    for (const h of ['mirror', 'mirror.lab.example', 'localhost', 'registry.example.com']) assert.equal(leaf.checkHost(h), h, `DNS SAN ${h}`);
    for (const ip of ['127.0.0.1', '::1', '192.0.2.10']) assert.equal(leaf.checkIP(ip), ip, `IP SAN ${ip}`);
    assert.match(leaf.keyUsage?.join(',') ?? '', /1\.3\.6\.1\.5\.5\.7\.3\.1/, 'serverAuth');
    assert.ok(t.cert.toString().includes(readFileSync(t.paths.caCert, 'utf8').trim()), 'the served chain includes the CA');
    for (const f of [t.paths.caKey, t.paths.serverKey]) assert.equal(statSync(f).mode & 0o777, 0o600, f);
    assert.equal(statSync(t.paths.caCert).mode & 0o077, 0o044, 'the CA certificate is readable for copying');
  });

  it('reuses good material, re-issues (same CA, names kept) for new names, on renewal and near expiry', async () => {
    const data = join(dir, 'b');
    const src = { hostname: 'mirror', hostsFile: writeHosts(dir) };
    const first = await ensureManagedTls(data, src);
    const caPem = readFileSync(first.paths.caCert, 'utf8');
    const again = await ensureManagedTls(data, src);
    assert.equal(again.issued, undefined);
    assert.ok(again.cert.equals(first.cert));
    const more = await ensureManagedTls(data, { ...src, sans: ['extra.example.com'] });
    assert.match(more.issued ?? '', /extra\.example\.com/);
    const renewed = await ensureManagedTls(data, { ...src, renew: true });
    assert.equal(renewed.issued, 'renewal requested');
    const leaf = new X509Certificate(renewed.cert);
    assert.equal(leaf.checkHost('extra.example.com'), 'extra.example.com', 'names of the previous certificate are kept');
    assert.notEqual(leaf.serialNumber, new X509Certificate(more.cert).serialNumber);
    assert.equal(readFileSync(first.paths.caCert, 'utf8'), caPem, 'the CA never changes');
    const late = await ensureManagedTls(data, { ...src, now: new Date(new Date(leaf.validTo).getTime() - 10 * DAY) });
    assert.match(late.issued ?? '', /expires/);
  });

  it('refuses half a CA and bad SAN values', async () => {
    const data = join(dir, 'c');
    await ensureManagedTls(data, { hostname: 'mirror' });
    rmSync(tlsPaths(data).caKey);
    await assert.rejects(ensureManagedTls(data, { hostname: 'mirror' }), /only one of ca\.crt and ca\.key/);
    for (const bad of ['exa mple.com', 'a/b', '-x.example', '"quoted"', '']) assert.throws(() => normalizeSan(bad), /invalid subject alternative name/, bad);
    assert.equal(normalizeSan('[::1]'), '::1');
    assert.equal(normalizeSan('Mirror.Example.COM'), 'mirror.example.com');
    assert.deepEqual(fqdnsFromHosts(HOSTS, 'mirror'), ['mirror.lab.example']);
  });

  it('serves the generated chain; clients that trust the CA verify it, others fail; reload after renewal', async () => {
    const reg = await startAirlock({ auth: 'token', config: { tlsSans: ['registry.test'] } });
    try {
      const ca = readFileSync(reg.security!.caCertPath);
      const leaf = await servedCert(reg.registry.port, ca);
      assert.equal(leaf.checkIP('127.0.0.1'), '127.0.0.1');
      const named = await servedCert(reg.registry.port, ca, 'registry.test');
      assert.equal(named.checkHost('registry.test'), 'registry.test');
      await assert.rejects(servedCert(reg.registry.port, readFileSync(join(dir, 'a', 'tls', 'ca.crt'))), /self[- ]signed|unable to verify|certificate/i);
      await ensureManagedTls(reg.dataDir, { renew: true });
      await reg.registry.reloadTls();
      const after = await servedCert(reg.registry.port, ca);
      assert.notEqual(after.serialNumber, leaf.serialNumber, 'the renewed certificate is served without a restart');
    } finally {
      await reg.close();
    }
  });

  it('--tls-cert/--tls-key: serves your certificate and generates nothing', async () => {
    const ca = await createCa('own');
    const server = await issueServerCert(ca, ['localhost', '127.0.0.1']);
    const files = join(dir, 'own');
    mkdirSync(files);
    writeFileSync(join(files, 'tls.crt'), server.cert);
    writeFileSync(join(files, 'tls.key'), server.key, { mode: 0o600 });
    const r = await startRegistry({ logLevel: 'silent', listen: '127.0.0.1:0', dataDir: join(dir, 'own-data-2'), tlsCert: join(files, 'tls.crt'), tlsKey: join(files, 'tls.key') });
    try {
      const leaf = await servedCert(r.port, ca.cert);
      assert.ok(leaf.checkIssued(new X509Certificate(ca.cert)));
      assert.equal(r.tls?.managed, undefined);
      assert.equal(r.tls?.certFile, join(files, 'tls.crt'));
      assert.ok(!existsSync(join(dir, 'own-data-2', 'tls')), 'no CA generated when a certificate is given');
    } finally {
      await r.close();
    }
  });
});

function writeHosts(dir: string): string {
  const f = join(dir, 'hosts');
  writeFileSync(f, HOSTS);
  return f;
}
