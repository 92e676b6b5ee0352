/** Progress lines on stderr, stamped with the seconds since the benchmark started. */

export type Log = (msg: string) => void;

export function progressLog(t0 = Date.now()): Log {
  return (msg) => {
    const s = ((Date.now() - t0) / 1000).toFixed(1).padStart(6);
    process.stderr.write(`[${s}s] ${msg}\n`);
  };
}
