/**
 * The names a generated server certificate covers: the host name, its fully
 * qualified form, localhost, 127.0.0.1, ::1 and every --san value. Nothing
 * here touches the network: the FQDN comes from the host name itself or from
 * /etc/hosts (pass --san for names only DNS knows).
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname as osHostname } from 'node:os';

const DNS_NAME_RE = /^(?:\*\.)?(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** A valid SAN value (DNS name, optionally `*.` wildcard, or IP address), normalized; throws otherwise. */
export function normalizeSan(value: string): string {
  const v = value.trim().replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (isIP(v)) return v;
  if (DNS_NAME_RE.test(v)) return v;
  throw new Error(`invalid subject alternative name "${value.slice(0, 80)}": expected a DNS name or an IP address`);
}

/** Dotted aliases of `short` in an /etc/hosts text. */
export function fqdnsFromHosts(hostsText: string, short: string): string[] {
  const out: string[] = [];
  for (const line of hostsText.split('\n')) {
    const fields = line.replace(/#.*/, '').trim().split(/\s+/).slice(1).map((f) => f.toLowerCase());
    if (!fields.includes(short)) continue;
    for (const f of fields) if (f.startsWith(`${short}.`) && DNS_NAME_RE.test(f)) out.push(f);
  }
  return out;
}

export interface HostNameSources {
  readonly hostname?: string;
  readonly hostsFile?: string;
}

/** This machine's names: [hostname, fqdn…], lowercased, without duplicates. */
export function localHostNames(src: HostNameSources = {}): string[] {
  const host = (src.hostname ?? osHostname()).toLowerCase();
  const names: string[] = [];
  const add = (n: string): void => {
    if (n && DNS_NAME_RE.test(n) && !names.includes(n)) names.push(n);
  };
  add(host);
  const short = host.split('.')[0] ?? host;
  add(short);
  let hosts = '';
  try {
    hosts = readFileSync(src.hostsFile ?? '/etc/hosts', 'utf8');
  } catch {
    // no /etc/hosts: the host name alone
  }
  for (const f of fqdnsFromHosts(hosts, short)) add(f);
  return names;
}

/** Every name of a generated certificate: local names, loopback names, then `extra`. */
export function certificateNames(extra: readonly string[], src: HostNameSources = {}): string[] {
  const names: string[] = [];
  for (const n of [...localHostNames(src), 'localhost', '127.0.0.1', '::1', ...extra.map(normalizeSan)]) {
    if (!names.includes(n)) names.push(n);
  }
  return names;
}
