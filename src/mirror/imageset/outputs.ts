/**
 * The working-dir files of an image-set run: `dry-run/mapping.txt` and
 * `missing.txt` (`docker://SRC=docker://DST`, reference §5.12), the pinned
 * config `isc_pinned_<time>.yaml` (catalogs and the release pin by digest,
 * channels narrowed to the versions selected), `report.json`, and files
 * written atomically (temp file + rename) under the working directory.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseDocument } from 'yaml';
import { parseImageName } from '../../reference/image-name.js';
import { repositoryText } from '../../transports/all.js';
import type { PlanItem } from '../plan.js';
import type { ImageSetInfo } from './collector.js';

/** One `SRC=DST` line per item target, with transport prefixes, sorted. */
export function dryRunMapping(items: readonly PlanItem[]): string {
  const lines = items.flatMap((i) => i.targets.map((t) => {
    const src = i.source.transport === 'docker' ? `docker://${repositoryText(i.source)}${i.within.startsWith('sha256:') ? '@' : ':'}${i.within}` : `oci://${i.source.transport === 'oci' ? i.source.path : ''}:${i.within}`;
    return `${src}=docker://${repositoryText(t.ref)}${t.tag !== undefined ? `:${t.tag}` : `@${i.within}`}`;
  }));
  return lines.sort().map((l) => `${l}\n`).join('');
}

/** Writes `files` (name → text) under `dir`, each through a temp file and rename. */
export async function writeFiles(dir: string, files: ReadonlyMap<string, string>): Promise<void> {
  for (const [name, text] of files) {
    const path = join(dir, name);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.tmp-${process.pid}`;
    await writeFile(tmp, text, { mode: 0o644 });
    await rename(tmp, path);
  }
}

/** The config text with each catalog replaced by `repo@digest` and releases pinned (reference: anchors §1.2 catalog pinning). */
export function pinnedConfig(text: string, info: ImageSetInfo): string {
  const doc = parseDocument(text);
  for (const c of info.catalogs) {
    const ops = doc.getIn(['mirror', 'operators']) as { items: { get(k: string): unknown; set(k: string, v: unknown): void }[] } | undefined;
    for (const op of ops?.items ?? []) {
      if (op.get('catalog') !== c.spec.catalog) continue;
      const n = parseImageName(c.spec.catalog);
      op.set('catalog', `${n.registry}/${n.repository}@${c.info.indexDigest}`);
      if (op.get('targetTag') === undefined && n.tag !== undefined) op.set('targetTag', n.tag);
    }
  }
  const channels = doc.getIn(['mirror', 'platform', 'channels']) as { items: { get(k: string): unknown; set(k: string, v: unknown): void }[] } | undefined;
  for (const ch of channels?.items ?? []) {
    const picked = info.releases.filter((r) => r.channel === ch.get('name')).map((r) => r.version);
    if (picked.length === 0) continue;
    ch.set('minVersion', picked[0]);
    ch.set('maxVersion', picked[picked.length - 1]);
  }
  const pin = info.releases.find((r) => r.channel === 'release:');
  if (pin !== undefined) {
    const n = parseImageName(pin.image);
    doc.setIn(['mirror', 'platform', 'release'], `${n.registry}/${n.repository}@${pin.info.releaseDigest}`);
  }
  return doc.toString();
}

/** `2026-12-02T05:40:00Z` as a file-name part (colons kept, as oc-mirror's RFC 3339 names). */
export function fileTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
