/**
 * Summarises V8 .cpuprofile files (written by `node --cpu-prof`): self time
 * per function and per source file, largest first.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface HotSpot {
  name: string;
  where: string;
  selfMs: number;
  pct: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  functions: HotSpot[];
  files: HotSpot[];
}

function shortUrl(url: string): string {
  if (url === '') return '(native)';
  const i = url.indexOf('/node_modules/');
  if (i >= 0) return url.slice(i + 1);
  const d = url.indexOf('/dist/');
  if (d >= 0) return url.slice(d + 1);
  return url.replace(/^file:\/\//, '');
}

export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map<number, ProfileNode>();
  for (const n of p.nodes) byId.set(n.id, n);
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i] as number;
    // timeDeltas[i] is the time since the previous sample; attribute it to this sample
    selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  let totalUs = 0;
  const fn = new Map<string, { name: string; where: string; us: number }>();
  const files = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (n === undefined) continue;
    totalUs += us;
    const name = n.callFrame.functionName || '(anonymous)';
    const where = n.callFrame.url === '' ? '' : `${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
    const key = `${name}@${where}`;
    const e = fn.get(key) ?? { name, where, us: 0 };
    e.us += us;
    fn.set(key, e);
    const f = n.callFrame.url === '' ? name : shortUrl(n.callFrame.url);
    files.set(f, (files.get(f) ?? 0) + us);
  }
  const pct = (us: number): number => (totalUs > 0 ? (100 * us) / totalUs : 0);
  return {
    file,
    totalMs: totalUs / 1000,
    functions: [...fn.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((e) => ({ name: e.name, where: e.where, selfMs: e.us / 1000, pct: pct(e.us) })),
    files: [...files.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([f, us]) => ({ name: f, where: '', selfMs: us / 1000, pct: pct(us) })),
  };
}
