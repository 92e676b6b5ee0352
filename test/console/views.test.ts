/**
 * The console's views in headless Chromium against a TLS + auth airlock on
 * loopback, with content whose every byte the test made (so digests and
 * sizes are known exactly): a manifest's config, layers, platforms (an
 * index) and referrers (an SBOM); the copy buttons put the exact pull specs
 * on the clipboard; storage shows bytes per repository, the deduplicated
 * total and ratio, a GC run in its history and the dry run before and after
 * it; the mirror-run charts carry their figures as text; every view is
 * reached and used with the keyboard alone, focus visible; and no view
 * scrolls sideways at 390 px.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { chromiumUnavailableReason, closeConsolePages, consoleLogin, launchBrowser, openConsole, type ConsolePage } from '../helpers/browser.js';
import { peerGate } from '../interop/support/peers.js';
import { SecureClient, basic, sha256 } from '../security/support/secure-client.js';

const gate = peerGate([chromiumUnavailableReason()]);
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const LAYER = 'application/vnd.oci.image.layer.v1.tar';
const SBOM_TYPE = 'application/spdx+json';

/** Deterministic bytes of a given length. */
const filler = (seed: string, n: number): Buffer => Buffer.from(seed.repeat(Math.ceil(n / seed.length)).slice(0, n));

interface Pushed {
  readonly digest: string;
  readonly size: number;
}

/** The element that has focus: tag, aria-label, text and id. */
const FOCUS = `(() => { const e = document.activeElement; if (!e) return ['', '', '', '']; return [e.tagName, e.getAttribute('aria-label') || '', (e.textContent || '').trim().slice(0, 120), e.id]; })()`;
/** Whether the focused element shows the console's focus ring (:focus-visible, 3px solid outline). */
const FOCUS_VISIBLE = `(() => { const e = document.activeElement; if (!e || !e.matches(':focus-visible')) return 'not :focus-visible'; const s = getComputedStyle(e); return s.outlineStyle + ' ' + s.outlineWidth; })()`;

describe('console views in a real browser', { skip: gate.skip, timeout: 600_000 }, () => {
  if (gate.failure !== undefined) {
    it('has the peer tools it needs', () => assert.fail(gate.failure));
    return;
  }
  let reg: AirlockHandle;
  let api: SecureClient;
  let admin: string;
  let browser: Browser;
  const pages: ConsolePage[] = [];
  /** Every blob linked to each repository (digest → size), to compute the storage figures independently. */
  const linked = new Map<string, Map<string, number>>();
  let image: Pushed;
  let config: Pushed;
  let layers: Pushed[];
  let index: Pushed;
  let children: { digest: string; platform: string; size: number }[];
  let sbom: Pushed;

  const open = async (width = 1280): Promise<ConsolePage> => {
    const p = await openConsole(browser, width);
    pages.push(p);
    await consoleLogin(p.page, reg.url, 'admin', reg.security!.adminPassword);
    return p;
  };

  async function blob(repo: string, data: Buffer): Promise<Pushed> {
    const r = await api.pushBlob(repo, data, admin);
    assert.equal(r.status, 201, r.text());
    const digest = sha256(data);
    if (!linked.has(repo)) linked.set(repo, new Map());
    linked.get(repo)!.set(digest, data.length);
    return { digest, size: data.length };
  }

  async function manifest(repo: string, ref: string, m: object, mediaType = OCI_MANIFEST): Promise<Pushed> {
    const body = JSON.stringify(m);
    const r = await api.request('PUT', `/v2/${repo}/manifests/${ref}`, { headers: { authorization: admin, 'content-type': mediaType }, body });
    assert.equal(r.status, 201, r.text());
    return { digest: sha256(body), size: Buffer.byteLength(body) };
  }

  async function simpleImage(repo: string, tag: string, cfg: object, layerBytes: Buffer[]): Promise<{ m: Pushed; config: Pushed; layers: Pushed[] }> {
    const c = await blob(repo, Buffer.from(JSON.stringify(cfg)));
    const ls: Pushed[] = [];
    for (const l of layerBytes) ls.push(await blob(repo, l));
    const m = await manifest(repo, tag, {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...c },
      layers: ls.map((l) => ({ mediaType: LAYER, ...l })),
    });
    return { m, config: c, layers: ls };
  }

  /** Presses Tab until `want` matches the focused element; asserts the focus ring shows. */
  async function tabTo(p: Page, what: string, want: (f: [string, string, string, string]) => boolean, max = 80): Promise<void> {
    for (let i = 0; i < max; i++) {
      await p.keyboard.press('Tab');
      if (want(await p.evaluate<[string, string, string, string]>(FOCUS))) {
        assert.equal(await p.evaluate<string>(FOCUS_VISIBLE), 'solid 3px', `${what}: the focus is visible`);
        return;
      }
    }
    assert.fail(`${what} is not reachable with Tab (${max} presses)`);
  }
  /** Reloads the page (same route and session), so the next Tab starts at the top. */
  const fromTop = async (p: Page): Promise<void> => {
    await p.reload();
    await p.locator('[data-field="user"]').waitFor();
  };
  const link = (text: string) => (f: [string, string, string, string]) => f[0] === 'A' && (f[2] === text || f[1] === text);
  const button = (label: string) => (f: [string, string, string, string]) => f[0] === 'BUTTON' && (f[1] === label || f[2] === label);

  before(async () => {
    reg = await startAirlock({ auth: 'token', config: { gc: { enabled: false, graceSeconds: 0, deleteUntagged: true } } });
    api = new SecureClient(reg.url, reg.security!.caCertPath);
    admin = basic('admin', reg.security!.adminPassword);
    const l1 = filler('first layer of apps/web ', 700);
    const l2 = filler('second layer ', 300);
    const cfg = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: { Labels: { app: 'web' } } };
    const web = await simpleImage('apps/web', 'v1', cfg, [l1, l2]);
    ({ m: image, config, layers } = web);
    // The same image in a second repository: its blobs are stored once (deduplication).
    const copy = await simpleImage('apps/copy', 'v1', cfg, [l1, l2]);
    assert.equal(copy.m.digest, image.digest);
    // An SBOM referring to the image.
    const empty = await blob('apps/web', Buffer.from('{}'));
    const doc = await blob('apps/web', Buffer.from(JSON.stringify({ spdxVersion: 'SPDX-2.3', name: 'apps/web' })));
    sbom = await manifest('apps/web', 'sbom', {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: SBOM_TYPE,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', ...empty },
      layers: [{ mediaType: SBOM_TYPE, ...doc }],
      subject: { mediaType: OCI_MANIFEST, ...image },
      annotations: { 'org.opencontainers.image.created': '2026-12-03T00:00:00Z' },
    });
    // A two-platform index.
    const kids = [];
    for (const [arch, variant] of [['amd64', undefined], ['arm64', 'v8']] as const) {
      const k = await simpleImage('apps/multi', `child-${arch}`, { architecture: arch, os: 'linux', ...(variant ? { variant } : {}), rootfs: { type: 'layers', diff_ids: [] } }, [l1, filler(`own layer ${arch} `, 200)]);
      kids.push({ digest: k.m.digest, size: k.m.size, platform: `linux/${arch}${variant ? `/${variant}` : ''}`, arch, variant });
    }
    children = kids.map(({ digest, size, platform }) => ({ digest, size, platform }));
    index = await manifest('apps/multi', 'v1', {
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: kids.map((k) => ({ mediaType: OCI_MANIFEST, digest: k.digest, size: k.size, platform: { os: 'linux', architecture: k.arch, ...(k.variant ? { variant: k.variant } : {}) } })),
    }, OCI_INDEX);
    browser = await launchBrowser();
  });
  after(async () => {
    await closeConsolePages(pages);
    await browser?.close();
    await api?.close();
    await reg?.close();
  });

  it("shows a manifest's config, layers, platforms and referrers with their digests and sizes", async () => {
    const c = await open();
    const p = c.page;
    await p.goto(`${reg.url}/#/manifest/apps/web@${image.digest}`);
    await p.locator('[data-field="digest"]').waitFor();
    assert.equal(await p.locator('[data-field="digest"]').textContent(), image.digest);
    assert.equal(await p.locator('[data-field="platforms"]').textContent(), 'linux/amd64');
    assert.equal(await p.locator('[data-field="tags"]').textContent(), 'v1');
    assert.equal(await p.locator('[data-field="size"]').getAttribute('data-bytes'), String(image.size + config.size + layers[0]!.size + layers[1]!.size));
    assert.match((await p.locator('[data-field="size"]').textContent())!, new RegExp(`\\(${image.size} bytes of manifest\\)$`));
    const rows = async (table: string) => p.locator(`[data-table="${table}"] tbody tr`).evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.getAttribute('data-bytes') ?? td.textContent ?? '')));
    assert.deepEqual(await rows('config'), [[config.digest, 'application/vnd.oci.image.config.v1+json', String(config.size)]]);
    assert.deepEqual(await rows('layers'), layers.map((l) => [l.digest, LAYER, String(l.size)]));
    assert.deepEqual(await rows('referrers'), [[sbom.digest, OCI_MANIFEST, String(sbom.size), SBOM_TYPE]]);
    assert.equal(await p.getByRole('region', { name: 'Referrers (1)' }).count(), 1);
    await c.shot('manifest-details');

    // The referrer's own page points back at its subject.
    await p.locator('[data-table="referrers"] a').click();
    await p.locator('[data-field="digest"]', { hasText: sbom.digest }).waitFor();
    assert.equal(await p.locator('dl.facts dd', { hasText: SBOM_TYPE }).count(), 1, 'the artifact type is shown');
    assert.equal(await p.locator('[data-field="subject"]').textContent(), image.digest, 'the referrer names its subject');
    await p.getByRole('link', { name: image.digest }).click();
    await p.locator('[data-field="digest"]', { hasText: image.digest }).waitFor();

    // An index: its platforms, each entry linked to its own manifest.
    await p.goto(`${reg.url}/#/manifest/apps/multi@${index.digest}`);
    await p.locator('[data-table="manifests"] tbody tr').first().waitFor();
    assert.equal(await p.locator('[data-field="platforms"]').textContent(), 'linux/amd64, linux/arm64/v8');
    assert.deepEqual(await rows('manifests'), children.map((k) => [k.digest, OCI_MANIFEST, String(k.size), k.platform]));
    assert.equal(await p.locator('[data-table="layers"]').count(), 0, 'an index has no layers of its own');
    await c.shot('manifest-index');
    await p.getByRole('link', { name: children[1]!.digest }).click();
    await p.locator('[data-field="platforms"]', { hasText: 'linux/arm64/v8' }).waitFor();
  });

  it('copy buttons put the exact podman pull and by-digest pull specs on the clipboard', async () => {
    const c = await open();
    const p = c.page;
    await c.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: reg.url });
    await p.goto(`${reg.url}/#/manifest/apps/web@${image.digest}`);
    await p.locator('[data-field="digest"]').waitFor();
    const want: [string, string][] = [
      ['podman pull by digest', `podman pull ${reg.hostPort}/apps/web@${image.digest}`],
      ['pull spec by digest', `${reg.hostPort}/apps/web@${image.digest}`],
      ['podman pull by tag', `podman pull ${reg.hostPort}/apps/web:v1`],
    ];
    for (const [label, text] of want) {
      await p.getByRole('button', { name: `Copy ${label}`, exact: true }).click();
      await p.locator('.copy', { has: p.locator(`[data-copy="${label}"]`) }).getByRole('status').filter({ hasText: 'copied' }).waitFor();
      assert.equal(await p.evaluate<string>('navigator.clipboard.readText()'), text, label);
    }
    await p.goto(`${reg.url}/#/repo/apps/web`);
    await p.getByRole('button', { name: 'Copy podman pull', exact: true }).click();
    assert.equal(await p.evaluate<string>('navigator.clipboard.readText()'), `podman pull ${reg.hostPort}/apps/web:sbom`, 'the tag page copies its first tag');
  });

  it('storage: bytes per repository, the deduplicated total and ratio, a GC run in the history, the dry run before and after', async () => {
    const c = await open();
    const p = c.page;
    const unique = new Map<string, number>();
    let linkedBytes = 0;
    for (const m of linked.values()) {
      for (const [d, n] of m) {
        unique.set(d, n);
        linkedBytes += n;
      }
    }
    const blobBytes = [...unique.values()].reduce((a, b) => a + b, 0);
    await p.goto(`${reg.url}/#/storage`);
    await p.locator('[data-usage="apps/web"]').waitFor();
    assert.equal(await p.locator('[data-field="blobBytes"]').getAttribute('data-bytes'), String(blobBytes));
    assert.equal(await p.locator('[data-field="linkedBytes"]').getAttribute('data-bytes'), String(linkedBytes));
    assert.equal(await p.locator('[data-field="dedup"]').textContent(), `${(Math.round((linkedBytes / blobBytes) * 1000) / 1000).toFixed(2)}×`);
    assert.ok(linkedBytes > blobBytes, 'the shared layers are deduplicated');
    const manifestBytes: Record<string, number> = { 'apps/web': image.size + sbom.size, 'apps/copy': image.size, 'apps/multi': index.size + children.reduce((a, k) => a + k.size, 0) };
    const manifestCount: Record<string, number> = { 'apps/web': 2, 'apps/copy': 1, 'apps/multi': 3 };
    for (const [repo, blobs] of linked) {
      const cells = await p.locator(`[data-usage="${repo}"] td`).evaluateAll((tds) => tds.map((td) => td.getAttribute('data-bytes') ?? td.textContent ?? ''));
      const bytes = [...blobs.values()].reduce((a, b) => a + b, 0) + manifestBytes[repo]!;
      assert.deepEqual(cells, [repo, String(manifestCount[repo]), String(blobs.size), String(bytes)], repo);
    }
    assert.equal(await p.locator('[data-table="gc-runs"] tbody tr').count(), 0);
    assert.equal(await p.getByText('No collection has run yet.').count(), 1);

    // Something to collect: an image whose only tag is deleted.
    const gone = await simpleImage('scratch/gone', 'old', { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, gone: true }, [filler('doomed layer ', 400)]);
    const del = await api.request('DELETE', `/v2/scratch/gone/manifests/old`, { headers: { authorization: admin } });
    assert.equal(del.status, 202, del.text());
    const dryRun = async (): Promise<string[]> => {
      await p.getByRole('button', { name: 'GC dry run' }).click();
      await p.getByRole('button', { name: 'GC dry run' }).waitFor();
      const plan = p.locator('[data-result="gc-plan"]');
      await plan.waitFor();
      return [await plan.locator('[data-field="plan-manifests"]').textContent(), await plan.locator('[data-field="plan-blobs"]').textContent(), await plan.locator('[data-field="plan-bytes"]').getAttribute('data-bytes')].map(String);
    };
    await p.reload();
    const reclaim = gone.config.size + gone.layers[0]!.size;
    assert.deepEqual(await dryRun(), ['1', '2', String(reclaim)], 'the dry run: one manifest, its config and layer');
    assert.equal(await p.locator('[data-result="gc-plan"] li').textContent(), `scratch/gone@${gone.m.digest} (${gone.m.size} B)`);
    assert.match((await p.locator('[data-result="gc-plan"] p').textContent())!, / Nothing was changed\.$/);

    const ran = await reg.registry.gc.run();
    assert.equal(ran.bytes, reclaim);
    await p.reload();
    const row = p.locator('[data-table="gc-runs"] tbody tr');
    await row.first().waitFor();
    assert.equal(await row.count(), 1);
    const cells = await row.locator('td').evaluateAll((tds) => tds.map((td) => td.getAttribute('data-bytes') ?? td.textContent ?? ''));
    assert.match(cells[0]!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    assert.match(cells[1]!, /^\d+\.\d s$/);
    assert.deepEqual(cells.slice(2), ['1', '2', String(reclaim)]);
    assert.deepEqual(await dryRun(), ['0', '0', '0'], 'after the collection nothing is left to reclaim');
    assert.equal(await p.locator('[data-field="blobBytes"]').getAttribute('data-bytes'), String(blobBytes), 'the collection took back exactly what it reclaimed');
    await c.shot('storage-gc');
  });

  it('mirror-run charts carry every figure as text (readable without colour), bars in proportion', async () => {
    const t = Date.now() - 3_600_000;
    const runs = [
      { bytes: 1024, ms: 4500 },
      { bytes: 3072, ms: 1500 },
      { bytes: 2048, ms: 3000 },
    ];
    const ids: number[] = [];
    for (const [i, r] of runs.entries()) {
      const body = { command: 'image mirror', startedAt: t + i * 60_000, finishedAt: t + i * 60_000 + r.ms, dryRun: false, repositories: ['apps/web'], images: i + 1, bytes: r.bytes, blobsTransferred: 1, blobsMounted: 0, blobsPresent: 0, missingCount: 0, missing: [], failedCount: 0, failed: [] };
      const posted = await api.request('POST', '/api/v1/mirror-runs', { headers: { authorization: admin, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(posted.status, 201, posted.text());
      ids.push(posted.json<{ id: number }>().id);
    }
    const c = await open();
    const p = c.page;
    await p.goto(`${reg.url}/#/runs`);
    const bytesChart = p.getByRole('img', { name: 'Bytes per run (oldest to newest)' });
    const timeChart = p.getByRole('img', { name: 'Time per run (oldest to newest)' });
    await bytesChart.waitFor();
    assert.deepEqual(await bytesChart.locator('text.bar-label').allTextContents(), ['1.0 KiB', '3.0 KiB', '2.0 KiB']);
    assert.deepEqual(await timeChart.locator('text.bar-label').allTextContents(), ['4.5 s', '1.5 s', '3.0 s']);
    assert.deepEqual(await bytesChart.locator('rect.bar title').allTextContents(), ids.map((id, i) => `run ${id}: ${['1.0 KiB', '3.0 KiB', '2.0 KiB'][i]}`));
    assert.deepEqual(await bytesChart.locator('rect.bar').evaluateAll((rs) => rs.map((r) => Math.round(Number(r.getAttribute('height')) * 1000) / 1000)), [50, 150, 100], 'heights in proportion to the bytes');
    assert.deepEqual(await timeChart.locator('rect.bar').evaluateAll((rs) => rs.map((r) => Math.round(Number(r.getAttribute('height')) * 1000) / 1000)), [150, 50, 100], 'heights in proportion to the durations');
    assert.deepEqual(await p.locator('figure.chart figcaption').allTextContents(), ['Bytes per run (oldest to newest)', 'Time per run (oldest to newest)']);
    // With forced colours (no author colours at all) the figures are still there as text, and the table has every one.
    await p.emulateMedia({ forcedColors: 'active' });
    assert.deepEqual(await bytesChart.locator('text.bar-label').evaluateAll((ts) => ts.map((t) => [t.textContent, (t.ownerDocument.defaultView as unknown as { getComputedStyle(e: unknown): { visibility: string } }).getComputedStyle(t).visibility])), [['1.0 KiB', 'visible'], ['3.0 KiB', 'visible'], ['2.0 KiB', 'visible']]);
    assert.deepEqual(await p.locator('[data-table="runs"] tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.children[3]!.textContent, tr.children[5]!.textContent])), [['3.0 s', '2.0 KiB'], ['1.5 s', '3.0 KiB'], ['4.5 s', '1.0 KiB']]);
    await c.shot('runs-charts-forced-colors');
  });

  it('every view is reached and used with the keyboard alone, with the focus visible', async () => {
    const c = await openConsole(browser);
    pages.push(c);
    const p = c.page;
    await c.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: reg.url });
    await p.goto(`${reg.url}/`);
    await p.getByLabel('User name').waitFor();
    await tabTo(p, 'the user name field', (f) => f[3] === 'username');
    await p.keyboard.type('admin');
    await tabTo(p, 'the password field', (f) => f[3] === 'password');
    await p.keyboard.type(reg.security!.adminPassword);
    await p.keyboard.press('Enter');
    await p.locator('[data-field="user"]').waitFor();

    // The skip link comes first and moves the focus to the content.
    await fromTop(p);
    await tabTo(p, 'the skip link', link('Skip to content'));
    await p.keyboard.press('Enter');
    assert.equal((await p.evaluate<string[]>(FOCUS))[3], 'main');

    const views: [string, string][] = [
      ['Mirror runs', 'Mirror runs'],
      ['Robots', 'Robots'],
      ['Storage and GC', 'Storage and garbage collection'],
      ['Repositories', 'Repositories'],
    ];
    for (const [nav, h1] of views) {
      await fromTop(p);
      await tabTo(p, `the ${nav} link`, link(nav));
      await p.keyboard.press('Enter');
      await p.locator('h1', { hasText: h1 }).waitFor();
      assert.equal(await p.locator('nav[aria-label="Main"] a[aria-current="page"]').textContent(), nav);
    }

    // Repositories: tree → tags → manifest → copy, by keyboard.
    await tabTo(p, 'the apps/ tree node', link('apps/'));
    await p.keyboard.press('Enter');
    await p.locator('[data-list="tree"]').getByRole('link', { name: 'Tags of apps/web' }).waitFor();
    await tabTo(p, 'the apps/web tags link', link('Tags of apps/web'));
    await p.keyboard.press('Enter');
    await p.locator('[data-tag="v1"]').waitFor();
    await tabTo(p, "v1's digest", link(image.digest));
    await p.keyboard.press('Enter');
    await p.locator('[data-field="digest"]').waitFor();
    await tabTo(p, 'the by-digest copy button', button('Copy pull spec by digest'));
    await p.keyboard.press('Enter');
    await p.locator('.copy', { has: p.locator('[data-copy="pull spec by digest"]') }).getByRole('status').filter({ hasText: 'copied' }).waitFor();
    assert.equal(await p.evaluate<string>('navigator.clipboard.readText()'), `${reg.hostPort}/apps/web@${image.digest}`);
    await tabTo(p, 'a referrer', link(sbom.digest));

    // Robots: create one from the form with the keyboard, dismiss the secret.
    await p.goto(`${reg.url}/#/robots`);
    await p.locator('h1', { hasText: 'Robots' }).waitFor();
    await fromTop(p);
    await tabTo(p, 'the robot name field', (f) => f[3] === 'robot-name');
    await p.keyboard.type('keys');
    await tabTo(p, 'the pull globs field', (f) => f[3] === 'robot-pull');
    await p.keyboard.type('apps/**');
    await p.keyboard.press('Enter');
    await p.locator('[data-copy="pull-secret entry"]').waitFor();
    await tabTo(p, 'the dismiss button', button('I have copied it'));
    await p.keyboard.press('Enter');
    await p.locator('[data-robot="robot+keys"]').waitFor();
    assert.equal(await p.locator('[data-copy="pull-secret entry"]').count(), 0);
    await tabTo(p, 'the rotate button', button('Rotate robot+keys'));

    // Storage: the dry run by keyboard.
    await p.goto(`${reg.url}/#/storage`);
    await p.locator('h1', { hasText: 'Storage and garbage collection' }).waitFor();
    await fromTop(p);
    await tabTo(p, 'the dry-run button', button('GC dry run'));
    await p.keyboard.press('Enter');
    await p.locator('[data-result="gc-plan"]').waitFor();
    await c.shot('keyboard-storage');
  });

  it('no view scrolls sideways at 390 px', async () => {
    const c = await open(390);
    const p = c.page;
    const fits = async (what: string): Promise<void> => {
      const w = await p.evaluate<number>('document.scrollingElement.scrollWidth');
      assert.ok(w <= 390, `${what}: page ${w} px wide at 390 px`);
    };
    const views: [string, string, string][] = [
      ['tree', '#/repos', '[data-list="tree"] li'],
      ['namespace', '#/repos/apps', '[data-list="tree"] li'],
      ['tags', '#/repo/apps/web', '[data-tag="v1"]'],
      ['manifest', `#/manifest/apps/web@${image.digest}`, '[data-table="referrers"] tbody tr'],
      ['index', `#/manifest/apps/multi@${index.digest}`, '[data-table="manifests"] tbody tr'],
      ['referrer', `#/manifest/apps/web@${sbom.digest}`, '[data-list="annotations"]'],
      ['runs', '#/runs', 'figure.chart'],
      ['robots', '#/robots', '[data-table="robots"]'],
      ['storage', '#/storage', '[data-table="usage"] tbody tr'],
    ];
    for (const [what, hash, ready] of views) {
      await p.goto(`${reg.url}/${hash}`);
      await p.locator(ready).first().waitFor();
      await fits(what);
      await c.shot(`narrow-${what}`);
    }
    await p.goto(`${reg.url}/#/repos`);
    await p.getByLabel('Name starts with').fill('apps/');
    await p.getByRole('button', { name: 'Search' }).click();
    await p.locator('[data-list="search"] li').first().waitFor();
    await fits('search results');
    await p.goto(`${reg.url}/#/storage`);
    await p.getByRole('button', { name: 'GC dry run' }).click();
    await p.locator('[data-result="gc-plan"]').waitFor();
    await fits('storage with the dry run');
    await p.goto(`${reg.url}/#/robots`);
    await p.getByLabel('Name', { exact: true }).fill('narrow-screen-robot');
    await p.getByLabel(/^Pull globs/).fill('apps/**');
    await p.getByLabel(/^Push globs/).fill('apps/**');
    await p.getByRole('button', { name: 'Create robot' }).click();
    await p.locator('[data-warning="push-robot"]').waitFor();
    await fits('a new robot with its pull secret and the push warning');
    await c.shot('narrow-robot-secret');
    const login = await openConsole(browser, 390);
    pages.push(login);
    await login.page.goto(`${reg.url}/`);
    await login.page.getByLabel('User name').waitFor();
    assert.ok((await login.page.evaluate<number>('document.scrollingElement.scrollWidth')) <= 390, 'login');
  });
});
