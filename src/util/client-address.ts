/**
 * The client's address behind trusted reverse proxies (a balancer such as
 * HAProxy with `option forwardfor`). A request's address is its TCP peer,
 * unless that peer is a trusted proxy: then the X-Forwarded-For entries
 * are read from the right (the entry the nearest proxy appended first),
 * skipping entries that are themselves trusted proxies, and the first
 * untrusted one is the client. A peer that is not trusted never has its
 * X-Forwarded-For read, so a client cannot pick its own address; and
 * through a trusted proxy that appends (never replaces) the header, what a
 * client wrote to the left of the proxy's entry is never reached. A
 * malformed entry stops the walk at the last trusted hop.
 *
 * The server resolves each request once (`noteClientAddress`, in its first
 * hook); everything that counts or logs by address (login limits, upload
 * caps, audit and access lines) reads `clientAddress`.
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/** `ADDR` or `ADDR/PREFIX` (IPv4 or IPv6); undefined when malformed. */
export function parseCidr(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const m = /^([^/\s]+)(?:\/(\d{1,3}))?$/.exec(text.trim());
  if (!m) return undefined;
  const v = isIP(m[1]!);
  if (v === 0) return undefined;
  const max = v === 4 ? 32 : 128;
  const prefix = m[2] === undefined ? max : Number(m[2]);
  if (prefix > max) return undefined;
  return { address: m[1]!, prefix, family: v === 4 ? 'ipv4' : 'ipv6' };
}

export function isValidCidr(text: string): boolean {
  return parseCidr(text) !== undefined;
}

export class TrustedProxies {
  private readonly list = new BlockList();
  readonly size: number;

  /** Throws on a malformed entry (the configuration validates them first). */
  constructor(cidrs: readonly string[]) {
    for (const c of cidrs) {
      const p = parseCidr(c);
      if (!p) throw new Error(`invalid trusted proxy ${JSON.stringify(c)}: expected an address or CIDR such as 10.0.0.0/8`);
      this.list.addSubnet(p.address, p.prefix, p.family);
    }
    this.size = cidrs.length;
  }

  trusts(address: string | undefined): boolean {
    if (address === undefined || this.size === 0) return false;
    const v = isIP(address);
    return v !== 0 && this.list.check(address, v === 4 ? 'ipv4' : 'ipv6');
  }

  /** The client of a request from `peer` carrying `forwardedFor` (the X-Forwarded-For header, possibly repeated). */
  clientOf(peer: string | undefined, forwardedFor: string | string[] | undefined): string {
    let client = peer ?? 'unknown';
    if (!this.trusts(peer) || forwardedFor === undefined) return client;
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',').map((s) => s.trim());
    while (hops.length > 0 && this.trusts(client)) {
      const next = hops.pop()!;
      if (next === '') continue;
      if (isIP(next) === 0) break;
      client = next;
    }
    return client;
  }
}

const resolved = new WeakMap<IncomingMessage, string>();

/** Records the address `clientAddress` answers for `req` (the server's first hook). */
export function noteClientAddress(req: IncomingMessage, address: string): void {
  resolved.set(req, address);
}

/** The request's client address: as resolved behind trusted proxies, else its TCP peer. */
export function clientAddress(req: IncomingMessage): string {
  return resolved.get(req) ?? req.socket.remoteAddress ?? 'unknown';
}
