/**
 * `working-dir/report.html`: the report.json of a run (report.ts) as one
 * self-contained page for people: no external assets, no script, one inline
 * style sheet. Every string from the run (image names, tags, patterns,
 * error messages, paths) is HTML-escaped, so a hostile tag, annotation or
 * config pattern shows as text. Sections (each `<section id=…>`): summary,
 * releases, catalogs, mirrored (by origin, with bytes sent and saved by
 * deduplication), missing, blocked, failed (each with why) and timings.
 * Any workflow's report (m2m, m2d, d2m) renders with the same writer.
 */
import { formatBytes } from '../../copy/mirror-report.js';

export interface OriginSection {
  readonly images: readonly { readonly source: string; readonly destinations: readonly string[] }[];
  readonly transferred: number;
  readonly saved: number;
  readonly blobs: number;
}

/** The fields of report.json the page shows (all optional: a workflow may leave some out). */
export interface ReportDoc {
  readonly workflow?: string;
  readonly config?: string;
  readonly destination?: string;
  readonly dryRun?: boolean;
  readonly started?: string;
  readonly exitCode?: number;
  readonly releases?: readonly { channel: string; architecture: string; version: string; image: string; digest: string }[];
  readonly catalogs?: readonly { catalog: string; digest: string; image: string; rebuilt: boolean; packages: unknown; bundles: unknown }[];
  readonly mirrored?: Readonly<Record<string, OriginSection>>;
  readonly totals?: { bytesTransferred: number; bytesSaved: number; blobs: number; manifests: number; retries: number };
  readonly missing?: readonly { image: string; kind: string; why: string }[];
  readonly blocked?: readonly { image: string; why: string }[];
  readonly failed?: readonly { image: string; kind: string; why: string }[];
  readonly timings?: Readonly<Record<string, number>>;
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe in element content and in quoted attribute values. */
export function escapeHtml(v: unknown): string {
  return String(v).replace(/[&<>"']/g, (c) => ESC[c]!);
}

const size = (n: number): string => `${escapeHtml(formatBytes(n))} <span class="n">(${n} bytes)</span>`;
const count = (v: unknown): string => (Array.isArray(v) ? String(v.length) : escapeHtml(v ?? ''));

function table(head: readonly string[], rows: readonly (readonly string[])[], empty: string): string {
  if (rows.length === 0) return `<p class="none">${escapeHtml(empty)}</p>`;
  return `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>\n${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n')}\n</tbody></table>`;
}

const section = (id: string, title: string, body: string): string => `<section id="${id}">\n<h2>${escapeHtml(title)}</h2>\n${body}\n</section>\n`;

function summary(r: ReportDoc): string {
  const t = r.totals;
  const rows: [string, string][] = [
    ['Workflow', escapeHtml(r.workflow ?? '')],
    ['Config', `<code>${escapeHtml(r.config ?? '')}</code>`],
    ['Destination', `<code>${escapeHtml(r.destination ?? '')}</code>`],
    ['Started', escapeHtml(r.started ?? '')],
    ['Dry run', r.dryRun === true ? 'yes (nothing was copied)' : 'no'],
    ['Exit status', `${escapeHtml(r.exitCode ?? '')}${r.exitCode ? ' (bits: 1 generic, 2 release, 4 operator, 8 additional, 16 helm)' : ''}`],
  ];
  if (t !== undefined) {
    rows.push(['Transferred', size(t.bytesTransferred)], ['Saved by deduplication', size(t.bytesSaved)], ['Blobs / manifests', `${t.blobs} / ${t.manifests}`], ['Retries', String(t.retries)]);
  }
  return `<table class="kv"><tbody>\n${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${v}</td></tr>`).join('\n')}\n</tbody></table>`;
}

function mirrored(m: Readonly<Record<string, OriginSection>>): string {
  const origins = Object.entries(m);
  const totals = table(['Origin', 'Images', 'Transferred', 'Saved by deduplication', 'Blobs'], origins.map(([k, o]) => [escapeHtml(k), String(o.images.length), size(o.transferred), size(o.saved), String(o.blobs)]), 'Nothing was mirrored.');
  const lists = origins.filter(([, o]) => o.images.length > 0).map(([k, o]) =>
    `<h3>${escapeHtml(k)} (${o.images.length})</h3>\n${table(['Source', 'Destinations'], o.images.map((i) => [`<code>${escapeHtml(i.source)}</code>`, i.destinations.map((d) => `<code>${escapeHtml(d)}</code>`).join('<br>')]), '')}`);
  return [totals, ...lists].join('\n');
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}h1{font-size:1.5em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}th{background:#f4f4f4}
code{font:12px ui-monospace,monospace;word-break:break-all}.n{color:#777}.none{color:#777;font-style:italic}.kv th{width:14em}`;

/** The page for a report.json object. */
export function reportHtml(r: ReportDoc): string {
  const title = `airlock ${r.workflow ?? 'mirror'} report${r.started ? ` (${r.started})` : ''}`;
  const body = [
    section('summary', 'Summary', summary(r)),
    section('releases', 'Releases', table(['Channel', 'Architecture', 'Version', 'Image', 'Digest'], (r.releases ?? []).map((x) => [escapeHtml(x.channel), escapeHtml(x.architecture), escapeHtml(x.version), `<code>${escapeHtml(x.image)}</code>`, `<code>${escapeHtml(x.digest)}</code>`]), 'No release.')),
    section('catalogs', 'Operator catalogs', table(['Catalog', 'Digest', 'Mirrored as', 'Rebuilt', 'Packages', 'Bundles'], (r.catalogs ?? []).map((c) => [`<code>${escapeHtml(c.catalog)}</code>`, `<code>${escapeHtml(c.digest)}</code>`, `<code>${escapeHtml(c.image)}</code>`, c.rebuilt ? 'yes' : 'no', count(c.packages), count(c.bundles)]), 'No catalog.')),
    section('mirrored', 'Mirrored, by origin', mirrored(r.mirrored ?? {})),
    section('missing', 'Missing images', table(['Image', 'Origin', 'Why'], (r.missing ?? []).map((x) => [`<code>${escapeHtml(x.image)}</code>`, escapeHtml(x.kind), escapeHtml(x.why)]), 'None.')),
    section('blocked', 'Blocked images', table(['Image', 'Why'], (r.blocked ?? []).map((x) => [`<code>${escapeHtml(x.image)}</code>`, escapeHtml(x.why)]), 'None.')),
    section('failed', 'Failed images', table(['Image', 'Origin', 'Why'], (r.failed ?? []).map((x) => [`<code>${escapeHtml(x.image)}</code>`, escapeHtml(x.kind), escapeHtml(x.why)]), 'None.')),
    section('timings', 'Timings', table(['Step', 'Seconds'], Object.entries(r.timings ?? {}).map(([k, v]) => [escapeHtml(k.replace(/Ms$/, '')), escapeHtml((v / 1000).toFixed(3))]), 'No timings.')),
  ].join('');
  return `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${escapeHtml(title)}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n<h1>${escapeHtml(title)}</h1>\n${body}</body>\n</html>\n`;
}
