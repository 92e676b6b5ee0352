/**
 * Requests and bytes seen by a registry process around a measured copy,
 * counted on the server side so that neither tool is slowed down or trusted:
 *
 * - requests: docker-registry writes one access-log line per request that
 *   reached its HTTP handler (start it with `accessLog: true`); the lines in
 *   its log file are counted. airlock's Prometheus counter
 *   `airlock_http_requests_total` (all routes, methods, statuses) is read
 *   from GET /metrics; the one scrape made before the copy is counted by the
 *   scrape after it and is subtracted. A TLS probe that a plain-http server
 *   rejects before HTTP parsing (skopeo tries https first) is not a request.
 * - bytes: /proc/PID/io. `rchar` = bytes the server read (socket reads of
 *   request headers and bodies, plus its own file reads); `wchar` = bytes it
 *   wrote (responses, including sendfile, plus its file writes). For a
 *   source registry, which only serves, sent = Δwchar − growth of its log
 *   file; for a destination, read = Δrchar: the bytes it received plus its
 *   own file reads (docker-registry: link files and manifests, small;
 *   airlock: SQLite pages, about 1.4 KB per request). Headers are included.
 */
import { stat, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ioBytes } from './proc.js';
import type { ServerHandle } from './servers.js';

export interface TrafficSnapshot {
  requests: number;
  rchar: number;
  wchar: number;
  logBytes: number;
}

export interface Traffic {
  requests: number;
  /** bytes the server read: request bytes received (for a destination) */
  readBytes: number;
  /** bytes the server wrote, less its log: response bytes sent (for a source) */
  sentBytes: number;
}

const ACCESS_LINE = /"(?:GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) \S+ HTTP\/[\d.]+" \d{3} /g;
const METRIC_LINE = /^airlock_http_requests_total\{[^}]*\} (\d+(?:\.\d+)?(?:e[+-]?\d+)?)$/gm;

async function requestCount(srv: ServerHandle): Promise<number> {
  if (srv.kind === 'docker-registry') {
    const text = await readFile(srv.logFile, 'utf8');
    return text.match(ACCESS_LINE)?.length ?? 0;
  }
  const res = await fetch(`${srv.url}/metrics`);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${srv.url}/metrics: HTTP ${res.status}`);
  let n = 0;
  for (const m of text.matchAll(METRIC_LINE)) n += Number(m[1]);
  return n;
}

export async function trafficSnapshot(srv: ServerHandle): Promise<TrafficSnapshot> {
  const io = ioBytes(srv.pid);
  if (io === undefined) throw new Error(`${srv.kind} (pid ${srv.pid}) is gone: cannot read /proc/${srv.pid}/io`);
  const logBytes = (await stat(srv.logFile)).size;
  return { requests: await requestCount(srv), rchar: io.rchar, wchar: io.wchar, logBytes };
}

/** What happened between two snapshots of the same server. */
export function trafficBetween(srv: ServerHandle, a: TrafficSnapshot, b: TrafficSnapshot): Traffic {
  const scrape = srv.kind === 'airlock' ? 1 : 0;
  return {
    requests: b.requests - a.requests - scrape,
    readBytes: b.rchar - a.rchar,
    sentBytes: b.wchar - a.wchar - (b.logBytes - a.logBytes),
  };
}

/** Servers finish their bookkeeping (access-log line, counters) just after the response: wait this long before the second snapshot. */
export async function settleTraffic(): Promise<void> {
  await sleep(100);
}
