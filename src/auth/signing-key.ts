/**
 * The ES256 key that signs tokens: `<dataDir>/auth/token.key` (PKCS#8 PEM,
 * 0600), generated on first start; on a shared store (PostgreSQL) the
 * secret `token-signing-key` there, so every replica signs and verifies
 * with the same key. Its `kid` is the RFC 7638 thumbprint of
 * the public key and is put in every token header.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import { writeFileAtomic } from '../tls/atomic-file.js';
import type { SecretStore } from './store.js';

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

export const SIGNING_KEY_SECRET = 'token-signing-key';

/**
 * The key stored in `store`: a new one is generated and offered; of
 * replicas starting together the first insert wins and all read it back.
 */
export async function sharedSigningKey(store: SecretStore): Promise<SigningKey> {
  const candidate = (await generateSigningKey()).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const pem = await store.secret(SIGNING_KEY_SECRET, candidate);
  try {
    return await signingKeyFrom(createPrivateKey(pem));
  } catch {
    throw new Error(`the stored ${SIGNING_KEY_SECRET} is not an ECDSA P-256 private key`);
  }
}
