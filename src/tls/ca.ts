/**
 * Certificate authority and server certificates: ECDSA P-256, SHA-256.
 *
 * The CA is valid for 10 years; a server certificate for 825 days (more than
 * two years, so OpenShift's yearly rotation never meets an expired mirror
 * certificate — mirror-registry's 356-day one does) and always carries both
 * DNS and IP subject alternative names.
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { webcrypto } from 'node:crypto';
import { EC_P256, fromPem, subtle, toPem, x509 } from './x509.js';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

export const CA_VALIDITY_YEARS = 10;
export const SERVER_VALIDITY_DAYS = 825;
const DAY_MS = 86_400_000;

export interface PemPair {
  /** PEM certificate */
  readonly cert: string;
  /** PEM PKCS#8 private key */
  readonly key: string;
}

export interface CertSummary {
  readonly subject: string;
  readonly issuer: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly dnsNames: string[];
  readonly ipAddresses: string[];
  readonly isCa: boolean;
  readonly fingerprintSha256: string;
}

/** Positive random serial (16 bytes, high bit clear). */
function serial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return b.toString('hex');
}

async function newKeys(): Promise<CryptoKeyPair> {
  return (await subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function exportKey(k: CryptoKey): Promise<string> {
  return toPem(await subtle.exportKey('pkcs8', k), 'PRIVATE KEY');
}

async function importSigningKey(pem: string): Promise<CryptoKey> {
  return subtle.importKey('pkcs8', fromPem(pem, 'PRIVATE KEY'), EC_P256, false, ['sign']);
}

/** Escapes a value for an X.500 name string (RFC 4514). */
function rdn(value: string): string {
  return value.replace(/[,+"\\<>;=]/g, '\\$&');
}

/** A new self-signed CA, valid from one hour ago (clock skew) for 10 years. */
export async function createCa(hostname: string, now = new Date()): Promise<PemPair> {
  const keys = await newKeys();
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_VALIDITY_YEARS);
  // A unique subject per install: two airlock CAs in one trust store must not share a name.
  const name = `CN=${rdn(`airlock CA ${hostname}`)}, O=airlock, OU=${randomBytes(6).toString('hex')}`;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name,
    notBefore: new Date(now.getTime() - 3_600_000),
    notAfter,
    keys,
    signingAlgorithm: EC_P256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: await exportKey(keys.privateKey) };
}

/**
 * Issues a server certificate for `names` (DNS names and IP addresses; the
 * first one is the common name) signed by `ca`. `cert` in the result is the
 * chain: server certificate then CA certificate.
 */
export async function issueServerCert(ca: PemPair, names: readonly string[], now = new Date()): Promise<PemPair> {
  if (names.length === 0) throw new Error('a server certificate needs at least one name');
  const caCert = new x509.X509Certificate(ca.cert);
  const caKey = await importSigningKey(ca.key);
  const keys = await newKeys();
  const notAfter = new Date(Math.min(now.getTime() + SERVER_VALIDITY_DAYS * DAY_MS, caCert.notAfter.getTime()));
  const san = names.map((n) => (isIP(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n }));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${rdn(names[0]!)}, O=airlock`,
    issuer: caCert.subject,
    notBefore: new Date(now.getTime() - 3_600_000),
    notAfter,
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: EC_P256,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(san),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
    ],
  });
  return { cert: cert.toString('pem') + '\n' + caCert.toString('pem') + '\n', key: await exportKey(keys.privateKey) };
}

/** Reads the first certificate of a PEM (chain) for display and checks. */
export async function summarize(pem: string): Promise<CertSummary> {
  const c = new x509.X509Certificate(pem);
  const san = c.getExtension(x509.SubjectAlternativeNameExtension);
  const names = san?.names.toJSON() ?? [];
  const bc = c.getExtension(x509.BasicConstraintsExtension);
  const fp = Buffer.from(await c.getThumbprint('SHA-256')).toString('hex');
  return {
    subject: c.subject,
    issuer: c.issuer,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    dnsNames: names.filter((n) => n.type === 'dns').map((n) => n.value),
    ipAddresses: names.filter((n) => n.type === 'ip').map((n) => n.value),
    isCa: bc?.ca ?? false,
    fingerprintSha256: fp.replace(/(..)(?!$)/g, '$1:').toUpperCase(),
  };
}
