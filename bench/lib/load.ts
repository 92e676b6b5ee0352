/**
 * Request-rate measurement with a fixed number of keep-alive connections.
 *
 * Tools:
 *   native      wrk (GET; C, 2 threads) and ApacheBench (HEAD; wrk 4.1 cannot
 *               do HEAD: it waits for Content-Length body bytes). Both are C
 *               programs, so the client takes as little CPU as possible from
 *               the 2 cores it shares with the server.
 *   autocannon  autocannon's programmatic API, in this process (one thread),
 *               for GET. HEAD still goes through ab: autocannon 8, like wrk,
 *               waits for a body after a HEAD response with Content-Length
 *               and completes 0 requests. autocannon also needs more client
 *               CPU per request than wrk, CPU the server then lacks.
 */
import { spawnSync } from 'node:child_process';
import autocannon from 'autocannon';
import { run } from './children.js';

export type LoadTool = 'native' | 'autocannon';

export interface LoadSpec {
  url: string;
  method: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  connections: number;
  durationS: number;
}

export interface LoadResult {
  tool: string;
  rps: number;
  requests: number;
  latAvgMs: number;
  latP99Ms: number;
  /** non-2xx responses plus socket errors/timeouts (should be 0) */
  bad: number;
}

export function loadToolMissing(tool: LoadTool): string | undefined {
  const bins: [string, string][] = tool === 'autocannon' ? [['ab', 'apache2-utils']] : [['wrk', 'wrk'], ['ab', 'apache2-utils']];
  for (const [bin, pkg] of bins) {
    if (spawnSync('which', [bin], { stdio: 'ignore' }).status !== 0) return `${bin} is not installed (apt-get install ${pkg}); or set BENCH_LOAD_TOOL=autocannon`;
  }
  return undefined;
}

export function runLoad(tool: LoadTool, spec: LoadSpec): Promise<LoadResult> {
  if (spec.method === 'HEAD') return runAb(spec);
  return tool === 'autocannon' ? runAutocannon(spec) : runWrk(spec);
}

async function runAutocannon(spec: LoadSpec): Promise<LoadResult> {
  const r = await autocannon({
    url: spec.url,
    method: spec.method,
    headers: spec.headers ?? {},
    connections: spec.connections,
    duration: spec.durationS,
    timeout: 10,
  });
  if (r.requests.total === 0) throw new Error(`autocannon completed no requests against ${spec.url}`);
  return {
    tool: 'autocannon',
    rps: r.requests.total / r.duration,
    requests: r.requests.total,
    latAvgMs: r.latency.average,
    latP99Ms: r.latency.p99,
    bad: r.non2xx + r.errors + r.timeouts,
  };
}

/** wrk duration like "3.12ms", "850.00us", "1.02s" -> ms */
function wrkMs(s: string | undefined): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(s ?? '');
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 'ms' ? v : m[2] === 's' ? v * 1000 : v * 60_000;
}

async function runWrk(spec: LoadSpec): Promise<LoadResult> {
  const args = ['-t', String(Math.min(2, spec.connections)), '-c', String(spec.connections), '-d', `${spec.durationS}s`, '--latency'];
  for (const [k, v] of Object.entries(spec.headers ?? {})) args.push('-H', `${k}: ${v}`);
  args.push(spec.url);
  const o = await run('wrk', args);
  if (o.code !== 0) throw new Error(`wrk failed (${o.code}): ${o.stderr || o.stdout}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(o.stdout)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(o.stdout)?.[1]);
  const latAvg = /^\s+Latency\s+(\S+)/m.exec(o.stdout)?.[1];
  const p99 = /^\s+99%\s+(\S+)/m.exec(o.stdout)?.[1];
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(o.stdout)?.[1] ?? 0);
  const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(o.stdout);
  const sockErr = errs ? errs.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  if (!Number.isFinite(rps) || !(requests > 0)) throw new Error(`wrk completed no requests or its output is not understood:\n${o.stdout}`);
  return { tool: 'wrk', rps, requests, latAvgMs: wrkMs(latAvg), latP99Ms: wrkMs(p99), bad: non2xx + sockErr };
}

async function runAb(spec: LoadSpec): Promise<LoadResult> {
  // -i HEAD, -k keep-alive, -t time limit (-n only caps the count), -q quiet
  const args = ['-q', '-i', '-k', '-c', String(spec.connections), '-t', String(spec.durationS), '-n', '100000000'];
  for (const [k, v] of Object.entries(spec.headers ?? {})) args.push('-H', `${k}: ${v}`);
  args.push(spec.url);
  const o = await run('ab', args);
  if (o.code !== 0) throw new Error(`ab failed (${o.code}): ${o.stderr || o.stdout}`);
  const rps = Number(/Requests per second:\s+([\d.]+)/.exec(o.stdout)?.[1]);
  const requests = Number(/Complete requests:\s+(\d+)/.exec(o.stdout)?.[1]);
  const failed = Number(/Failed requests:\s+(\d+)/.exec(o.stdout)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx responses:\s+(\d+)/.exec(o.stdout)?.[1] ?? 0);
  const keepAlive = Number(/Keep-Alive requests:\s+(\d+)/.exec(o.stdout)?.[1] ?? 0);
  // the first "Time per request" line is the mean per request at the given concurrency
  const latAvg = Number(/Time per request:\s+([\d.]+) \[ms\] \(mean\)$/m.exec(o.stdout)?.[1]);
  const p99 = Number(/^\s+99%\s+(\d+)/m.exec(o.stdout)?.[1]);
  if (!Number.isFinite(rps) || !(requests > 0)) throw new Error(`ab completed no requests or its output is not understood:\n${o.stdout}`);
  if (requests > 0 && keepAlive < requests * 0.99) {
    process.stderr.write(`  warning: ab used keep-alive for only ${keepAlive}/${requests} requests against ${spec.url}\n`);
  }
  return { tool: 'ab', rps, requests, latAvgMs: latAvg, latP99Ms: p99, bad: failed + non2xx };
}
