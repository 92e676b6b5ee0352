/**
 * The ES256 key that signs tokens: `<dataDir>/auth/token.key` (PKCS#8 PEM,
 * 0600), generated on first start. Its `kid` is the RFC 7638 thumbprint of
 * the public key and is put in every token header.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import { writeFileAtomic } from '../tls/atomic-file.js';

export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly kid: string;
}

export async function signingKeyFrom(privateKey: KeyObject): Promise<SigningKey> {
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('the token signing key must be an ECDSA P-256 key');
  }
  const publicKey = createPublicKey(privateKey);
  const kid = await calculateJwkThumbprint(await exportJWK(publicKey), 'sha256');
  return { privateKey, publicKey, kid };
}

export function generateSigningKey(): Promise<SigningKey> {
  return signingKeyFrom(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
}

/** Loads the key at `path`, creating it (0600, atomically) when absent. */
export async function loadOrCreateSigningKey(path: string): Promise<SigningKey> {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const key = await generateSigningKey();
    writeFileAtomic(path, key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 0o600);
    return key;
  }
  return signingKeyFrom(createPrivateKey(readFileSync(path, 'utf8')));
}
