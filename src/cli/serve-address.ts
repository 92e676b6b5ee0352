/**
 * The address clients reach a running `airlock serve` at, recorded in
 * `<dataDir>/serve-address` when it starts, so that commands working on the
 * data directory (`robot add|rotate`) print it in ready-made auths entries:
 * the host of --public-url, else the listen address with its bound port, and
 * for a wildcard listen address (0.0.0.0, ::) this host's FQDN (what the
 * generated certificate names) with that port.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { localHostNames } from '../tls/host-names.js';

const FILE = 'serve-address';

/** This host's FQDN (or name). */
export function hostName(): string {
  const names = localHostNames();
  return names.find((n) => n.includes('.')) ?? names[0] ?? 'localhost';
}

/** `host:port` as clients reach the registry (see the module comment). */
export function reachableAddress(listen: string, port: number, publicUrl: string | undefined): string {
  if (publicUrl !== undefined) return new URL(publicUrl).host;
  const m = /^\[?([^\]]*)\]?:\d+$/.exec(listen.trim());
  const host = m?.[1] ?? '';
  if (host === '' || host === '0.0.0.0' || host === '::' || host === '*') return `${hostName()}:${port}`;
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export function writeServeAddress(dataDir: string, address: string): void {
  const p = join(dataDir, FILE);
  writeFileSync(`${p}.tmp`, `${address}\n`, { mode: 0o644 });
  renameSync(`${p}.tmp`, p);
}

/** The address the last `airlock serve` on `dataDir` recorded, if any. */
export function readServeAddress(dataDir: string): string | undefined {
  try {
    const v = readFileSync(join(dataDir, FILE), 'utf8').trim();
    return /^[^\s/]+$/.test(v) ? v : undefined;
  } catch {
    return undefined;
  }
}
