/**
 * TLS material that airlock generates and keeps in the data directory:
 *
 *   <dataDir>/tls/ca.crt       the CA clients trust (10 years)        0644
 *   <dataDir>/tls/ca.key       its private key                        0600
 *   <dataDir>/tls/server.crt   server certificate + CA (the chain)    0644
 *   <dataDir>/tls/server.key   server private key                     0600
 *
 * The CA is created once and never changed by airlock. The server
 * certificate is (re)issued from it when it is missing, when it lacks a
 * wanted name, when it expires within 30 days, when it was not issued by the
 * current CA, or on request (`airlock cert renew`).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import { createCa, issueServerCert, summarize, type PemPair } from './ca.js';
import { certificateNames, type HostNameSources } from './host-names.js';
import { x509 } from './x509.js';

const RENEW_BEFORE_MS = 30 * 86_400_000;

export interface TlsPaths {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly serverCert: string;
  readonly serverKey: string;
}

export function tlsPaths(dataDir: string): TlsPaths {
  const dir = join(dataDir, 'tls');
  return { dir, caCert: join(dir, 'ca.crt'), caKey: join(dir, 'ca.key'), serverCert: join(dir, 'server.crt'), serverKey: join(dir, 'server.key') };
}

export interface ManagedTls {
  readonly paths: TlsPaths;
  readonly cert: Buffer;
  readonly key: Buffer;
  /** True when this call created the CA. */
  readonly caCreated: boolean;
  /** Why the server certificate was (re)issued by this call, if it was. */
  readonly issued?: string;
  readonly names: string[];
  readonly notAfter: Date;
}

export interface EnsureTlsOptions extends HostNameSources {
  /** Extra SANs (--san). */
  readonly sans?: readonly string[];
  /** Re-issue the server certificate even if it is still good. */
  readonly renew?: boolean;
  readonly now?: Date;
}

async function loadCa(p: TlsPaths, hostname: string, now: Date): Promise<{ ca: PemPair; created: boolean }> {
  const haveCert = existsSync(p.caCert);
  const haveKey = existsSync(p.caKey);
  if (haveCert && haveKey) return { ca: { cert: readFileSync(p.caCert, 'utf8'), key: readFileSync(p.caKey, 'utf8') }, created: false };
  if (haveCert || haveKey) {
    throw new Error(`${p.dir} holds only one of ca.crt and ca.key; restore the missing file, or remove both to create a new CA (clients must then trust the new one)`);
  }
  const ca = await createCa(hostname, now);
  writeFileAtomic(p.caKey, ca.key, 0o600);
  writeFileAtomic(p.caCert, ca.cert, 0o644);
  return { ca, created: true };
}

/** Why the current server certificate must be re-issued, or undefined. */
async function reissueReason(p: TlsPaths, ca: PemPair, names: readonly string[], now: Date): Promise<string | undefined> {
  if (!existsSync(p.serverCert) || !existsSync(p.serverKey)) return 'no server certificate yet';
  const pem = readFileSync(p.serverCert, 'utf8');
  const s = await summarize(pem);
  const have = new Set([...s.dnsNames, ...s.ipAddresses]);
  const missing = names.filter((n) => !have.has(n));
  if (missing.length) return `adding names ${missing.join(', ')}`;
  if (s.notAfter.getTime() - now.getTime() < RENEW_BEFORE_MS) return `it expires on ${s.notAfter.toISOString()}`;
  const caCert = new x509.X509Certificate(ca.cert);
  const leaf = new x509.X509Certificate(pem);
  if (leaf.issuer !== caCert.subject || !(await leaf.verify({ publicKey: caCert.publicKey, signatureOnly: true }))) {
    return 'it was not issued by the current CA';
  }
  return undefined;
}

/** Creates what is missing and returns the server certificate chain and key to serve. */
export async function ensureManagedTls(dataDir: string, opts: EnsureTlsOptions = {}): Promise<ManagedTls> {
  const now = opts.now ?? new Date();
  const p = tlsPaths(dataDir);
  mkdirSync(p.dir, { recursive: true, mode: 0o755 });
  const wanted = certificateNames(opts.sans ?? [], opts);
  const { ca, created } = await loadCa(p, wanted[0]!, now);
  let reason = opts.renew ? 'renewal requested' : await reissueReason(p, ca, wanted, now);
  if (created && reason === undefined) reason = 'new CA';
  let names = wanted;
  if (reason !== undefined) {
    if (existsSync(p.serverCert)) {
      // Keep the names the previous certificate had: clients may rely on them.
      const old = await summarize(readFileSync(p.serverCert, 'utf8')).catch(() => undefined);
      if (old) for (const n of [...old.dnsNames, ...old.ipAddresses]) if (!names.includes(n)) names = [...names, n];
    }
    const server = await issueServerCert(ca, names, now);
    writeFileAtomic(p.serverKey, server.key, 0o600);
    writeFileAtomic(p.serverCert, server.cert, 0o644);
  }
  const cert = readFileSync(p.serverCert);
  const s = await summarize(cert.toString('utf8'));
  return {
    paths: p,
    cert,
    key: readFileSync(p.serverKey),
    caCreated: created,
    ...(reason !== undefined ? { issued: reason } : {}),
    names: [...s.dnsNames, ...s.ipAddresses],
    notAfter: s.notAfter,
  };
}

export { trustInstructions } from './trust-instructions.js';
