/**
 * The one place that loads @peculiar/x509: it needs the reflect-metadata
 * polyfill evaluated first and Node's WebCrypto as its provider.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
export const subtle = webcrypto.subtle;

/** ECDSA P-256 with SHA-256: the only key type airlock generates. */
export const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export function toPem(der: ArrayBuffer, label: 'PRIVATE KEY' | 'CERTIFICATE'): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

export function fromPem(pem: string, label: 'PRIVATE KEY' | 'CERTIFICATE'): Buffer {
  const m = pem.match(new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`));
  if (!m) throw new Error(`no ${label} PEM block found`);
  return Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
}
