/**
 * What the helm collector found, as the image-set run reports it: one note
 * per repository (how many chart versions, and that `charts` was omitted)
 * and per chart (images found, subcharts disabled, image strings skipped);
 * one failure per unreadable repository or chart and per template that
 * could not be rendered (chart, file, line, why).
 */
import { renderFailureLines, type HelmInfo } from '../collectors/helm.js';
import type { CollectFailure } from './collector.js';

export function helmNotes(info: HelmInfo): { notes: string[]; failures: CollectFailure[] } {
  const notes: string[] = [];
  for (const s of info.selections) notes.push(`helm repository ${s.repository} (${s.url}): ${s.count} chart version(s)${s.all ? ' (charts omitted: every non-library chart version in index.yaml)' : ''}`);
  for (const c of info.charts) {
    notes.push(`helm chart ${c.name}-${c.version}: ${c.images.length} image(s) from ${c.rendered} rendered template(s); pushed as ${c.artifact.reference}`);
    for (const d of c.disabled) notes.push(`helm chart ${c.name}-${c.version}: subchart ${d} disabled by its condition or tags (its images are not mirrored)`);
    for (const k of c.skipped) notes.push(`helm chart ${c.name}-${c.version}: ${k.template}: skipped "${k.image}" (${k.why})`);
  }
  const failures: CollectFailure[] = [
    ...info.failures.map((f) => ({ kind: 'helm' as const, what: f.what, message: f.message })),
    ...renderFailureLines(info).map((l) => ({ kind: 'helm' as const, what: 'helm template', message: l })),
  ];
  return { notes, failures };
}
