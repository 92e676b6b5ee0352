/**
 * One managed CA for every replica on a shared store. Without --tls-cert,
 * each `airlock serve` issues its server certificate from the CA in its
 * data directory (managed-tls.ts); replicas behind one balancer would each
 * make their own CA, and clients would have to trust N of them. With
 * `--metadata postgres://…` the CA (certificate and key, a secret: never
 * logged) is the store's `tls-ca` secret instead: the first replica to
 * start offers its CA (the one in its data directory, or a new one) and
 * wins; every replica then writes that CA into its data directory, so
 * ensureManagedTls re-issues a server certificate from it where the local
 * one came from another CA. Clients trust one ca.crt, any replica's.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { SecretStore } from '../auth/store.js';
import { writeFileAtomic } from './atomic-file.js';
import { createCa, type PemPair } from './ca.js';
import { tlsPaths } from './managed-tls.js';

export const CA_SECRET = 'tls-ca';

export type SharedCaOutcome = 'offered' | 'adopted' | 'same';

function parsePair(json: string): PemPair {
  const v = JSON.parse(json) as Partial<PemPair>;
  if (typeof v.cert !== 'string' || typeof v.key !== 'string' || !v.cert.includes('BEGIN CERTIFICATE') || !v.key.includes('PRIVATE KEY')) {
    throw new Error(`the stored ${CA_SECRET} is not a certificate and key`);
  }
  return { cert: v.cert, key: v.key };
}

/**
 * Makes `<dataDir>/tls/ca.{crt,key}` the store's CA. `offered`: this
 * process's CA became the shared one; `adopted`: the local CA (if any) was
 * replaced by the shared one; `same`: it already was the shared one.
 */
export async function adoptSharedCa(dataDir: string, store: SecretStore, hostname: string): Promise<SharedCaOutcome> {
  const p = tlsPaths(dataDir);
  const haveCert = existsSync(p.caCert);
  const haveKey = existsSync(p.caKey);
  if (haveCert !== haveKey) {
    throw new Error(`${p.dir} holds only one of ca.crt and ca.key; restore the missing file, or remove both to use the replicas' shared CA`);
  }
  const local = haveCert ? { cert: readFileSync(p.caCert, 'utf8'), key: readFileSync(p.caKey, 'utf8') } : undefined;
  const candidate = local ?? (await createCa(hostname));
  const shared = parsePair(await store.secret(CA_SECRET, JSON.stringify(candidate)));
  const mine = shared.cert === candidate.cert && shared.key === candidate.key;
  if (mine && local) return 'same';
  mkdirSync(p.dir, { recursive: true, mode: 0o755 });
  writeFileAtomic(p.caKey, shared.key, 0o600);
  writeFileAtomic(p.caCert, shared.cert, 0o644);
  return mine ? 'offered' : 'adopted';
}
