/**
 * Release image GPG signatures: read from a signature store (containers/image
 * "sigstore" layout, `<store>/sha256=<hex>/signature-<N>`, N from 1) over
 * HTTP(S) or from a local directory in the same layout, and written as the
 * ConfigMap files `oc adm release mirror --release-image-signature-to-dir`
 * writes (core/v1 JSON, `signature-sha256-<16 hex>.json`, 0640 in a 0750 dir).
 * The stores default to the `store-*` keys of the payload's
 * `release.openshift.io/verification-config-map` ConfigMap.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { parseDigest } from '../oci/digest.js';

/** library-go's limits: at most 10 signatures, 50 KiB each. */
const MAX_SIGNATURES = 10;
const MAX_SIGNATURE_BYTES = 50 * 1024;

export const SIGNATURE_NAMESPACE = 'openshift-config-managed';
export const SIGNATURE_LABEL = 'release.openshift.io/verification-signatures';
export const VERIFICATION_ANNOTATION = 'release.openshift.io/verification-config-map';

/** `store-*` URLs of the verification ConfigMap among the payload manifests (sorted by key). */
export function verificationStores(files: ReadonlyMap<string, Buffer>): string[] {
  for (const [name, data] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    if (!/\.(ya?ml|json)$/.test(name)) continue;
    for (const doc of parseAllDocuments(data.toString('utf8'))) {
      const cm = doc.toJS() as { kind?: string; metadata?: { annotations?: Record<string, string> }; data?: Record<string, string> } | null;
      if (cm?.kind !== 'ConfigMap' || cm.metadata?.annotations?.[VERIFICATION_ANNOTATION] === undefined) continue;
      return Object.keys(cm.data ?? {})
        .filter((k) => k.startsWith('store-'))
        .sort()
        .map((k) => cm.data![k]!.trim());
    }
  }
  return [];
}

export interface FetchedSignatures {
  readonly signatures: Buffer[];
  /** The store they came from. */
  readonly store?: string;
  /** One line per store that could not be read. */
  readonly warnings: string[];
}

async function fromHttp(base: string, equalDigest: string, n: number, timeoutMs: number): Promise<Buffer | undefined> {
  const url = `${base.replace(/\/+$/, '')}/${equalDigest}/signature-${n}`;
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  if (res.status === 404) {
    await res.body?.cancel();
    return undefined;
  }
  if (res.status < 200 || res.status >= 300) {
    await res.body?.cancel();
    throw new Error(`${url}: response status ${res.status}`);
  }
  const data = Buffer.from(await res.arrayBuffer());
  if (data.length > MAX_SIGNATURE_BYTES) throw new Error(`${url}: signature larger than ${MAX_SIGNATURE_BYTES} bytes`);
  return data;
}

async function fromDir(dir: string, equalDigest: string, n: number): Promise<Buffer | undefined> {
  try {
    const data = await readFile(join(dir, equalDigest, `signature-${n}`));
    if (data.length > MAX_SIGNATURE_BYTES) throw new Error(`signature-${n}: larger than ${MAX_SIGNATURE_BYTES} bytes`);
    return data;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Signatures of `digest` from the first store that has any; unreadable stores become warnings. */
export async function fetchSignatures(stores: readonly string[], digest: string, opts: { timeoutMs?: number } = {}): Promise<FetchedSignatures> {
  const { algorithm, hex } = parseDigest(digest);
  const equalDigest = `${algorithm}=${hex}`;
  const warnings: string[] = [];
  for (const store of stores) {
    const isHttp = /^https?:\/\//.test(store);
    const dir = store.startsWith('file://') ? fileURLToPath(store) : store;
    const signatures: Buffer[] = [];
    try {
      for (let n = 1; n <= MAX_SIGNATURES; n++) {
        const sig = isHttp ? await fromHttp(store, equalDigest, n, opts.timeoutMs ?? 30_000) : await fromDir(dir, equalDigest, n);
        if (sig === undefined) break;
        if (sig.length > 0) signatures.push(sig);
      }
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      warnings.push(`unable to retrieve release image signatures for ${digest} from ${store}: ${(e as Error).message}${cause?.code ? ` (${cause.code})` : ''}`);
      continue;
    }
    if (signatures.length > 0) return { signatures, store, warnings };
    warnings.push(`no release image signatures for ${digest} in ${store}`);
  }
  return { signatures: [], warnings };
}

/** `sha256-<hex>`: the digest with its colon replaced (ConfigMap names and keys cannot hold one). */
export function digestKey(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `${algorithm}-${hex}`;
}

/** The ConfigMap exactly as library-go's legacy JSON codec writes it (with the trailing newline). */
export function signatureConfigMapJson(digest: string, signatures: readonly Buffer[]): string {
  const key = digestKey(digest);
  const binaryData: Record<string, string> = {};
  signatures.forEach((s, i) => (binaryData[`${key}-${i + 1}`] = s.toString('base64')));
  const sorted = Object.fromEntries(Object.entries(binaryData).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return `${JSON.stringify({
    kind: 'ConfigMap',
    apiVersion: 'v1',
    metadata: { name: key, namespace: SIGNATURE_NAMESPACE, creationTimestamp: null, labels: { [SIGNATURE_LABEL]: '' } },
    binaryData: sorted,
  })}\n`;
}

/** `signature-sha256-<first 16 hex>.json`. */
export function signatureFileName(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `signature-${algorithm}-${hex.slice(0, 16)}.json`;
}

/** Writes the ConfigMap file (0640, directory 0750); returns its path. */
export async function writeSignatureConfigMap(dir: string, digest: string, signatures: readonly Buffer[]): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o750 });
  const path = join(dir, signatureFileName(digest));
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, signatureConfigMapJson(digest, signatures), { mode: 0o640 });
  await rename(tmp, path);
  return path;
}
