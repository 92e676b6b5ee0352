/**
 * Names like a mistyped one, for "did you mean" hints: those that start
 * with it or hold it (`4.12.0` → `4.12.0-x86_64`), then those within a small
 * edit distance, closest and shortest first.
 */

/** Levenshtein distance, stopping early once it exceeds `max` (then returns max + 1). */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      best = Math.min(best, v);
    }
    if (best > max) return max + 1;
    prev = cur;
  }
  return prev[b.length]!;
}

/** At most `limit` of `names` most like `wanted` (none when nothing is close). */
export function similarNames(wanted: string, names: Iterable<string>, limit = 5): string[] {
  const max = Math.max(2, Math.floor(wanted.length / 3));
  const scored: { name: string; rank: number; d: number }[] = [];
  for (const name of names) {
    if (name === wanted) continue;
    if (name.startsWith(wanted)) scored.push({ name, rank: 0, d: name.length - wanted.length });
    else if (wanted !== '' && name.includes(wanted)) scored.push({ name, rank: 1, d: name.length - wanted.length });
    else {
      const d = editDistance(wanted, name, max);
      if (d <= max) scored.push({ name, rank: 2, d });
    }
  }
  scored.sort((x, y) => x.rank - y.rank || x.d - y.d || x.name.length - y.name.length || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  return scored.slice(0, limit).map((s) => s.name);
}
