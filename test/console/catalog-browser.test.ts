/**
 * The catalog view in headless Chromium: `airlock catalog mirror
 * --report-to-registry` mirrors the catalog fixture's FBC index (and its
 * related images) from an upstream airlock into a TLS + auth airlock; the
 * run shows up in /api/v1/mirror-runs with the run's own image count, bytes
 * and missing images; the mirrored index's tag links its catalog view,
 * whose packages, channels, heads and default channels are exactly what the
 * catalog model computes (catalog/summary.ts over the fixture); the filter
 * narrows it; the manifest view links it too; a malformed catalog shows one
 * line in the page; hostile package, channel and bundle names render as
 * text. Screenshots at 1280 px and 390 px.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { stringify } from 'yaml';
import { summarize } from '../../src/catalog/summary.js';
import { AuthStore } from '../../src/transports/registry/auth-file.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import type { CatalogFixture } from '../fixtures/catalog/catalog-fixture.js';
import { fixtureFbcFiles } from '../fixtures/catalog/catalog-fixture.js';
import { pushIndexImage } from '../fixtures/catalog/index-image.js';
import { pushCatalogFixture } from '../catalog/catalog-mirror-setup.js';
import { runAirlockCli } from '../helpers/airlock-process.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { chromiumUnavailableReason, closeConsolePages, consoleLogin, launchBrowser, openConsole, type ConsolePage } from '../helpers/browser.js';
import { peerGate } from '../interop/support/peers.js';
import { SecureClient, basic } from '../security/support/secure-client.js';

const gate = peerGate([chromiumUnavailableReason()]);

interface MirrorJson {
  index: { destination: string };
  images: unknown[];
  missing: unknown[];
  stats: { bytesTransferred: number; blobs: { uploaded: number; mounted: number } };
}

describe('catalog view in a real browser', { skip: gate.skip, timeout: 900_000 }, () => {
  if (gate.failure !== undefined) {
    it('has the peer tools it needs', () => assert.fail(gate.failure));
    return;
  }
  let dir: string;
  let up: AirlockHandle;
  let reg: AirlockHandle;
  let api: SecureClient;
  let admin: string;
  let fx: CatalogFixture;
  let browser: Browser;
  let indexRepo: string;
  const pages: ConsolePage[] = [];
  const open = async (width = 1280): Promise<ConsolePage> => {
    const p = await openConsole(browser, width);
    pages.push(p);
    await consoleLogin(p.page, reg.url, 'admin', reg.security!.adminPassword);
    return p;
  };

  /** Pushes an FBC index image built from `files` to `repository:v1` on the TLS + auth registry, as admin. */
  const pushCatalog = async (repository: string, files: Map<string, string>): Promise<void> => {
    const auth = AuthStore.parse('auth.json', JSON.stringify({ auths: { [reg.hostPort]: { auth: Buffer.from(`admin:${reg.security!.adminPassword}`).toString('base64') } } }));
    const hub = new RegistryHub({ auth, caFile: reg.security!.caCertPath });
    try {
      await pushIndexImage(hub.destination({ registry: reg.hostPort, repository }), { kind: 'fbc', files }, { tag: 'v1' });
    } finally {
      await hub.close();
    }
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-console-catalog-'));
    [up, reg] = await Promise.all([startAirlock(), startAirlock({ auth: 'token', config: { gc: { enabled: false } } })]);
    const upHub = new RegistryHub({ insecure: () => true });
    try {
      fx = await pushCatalogFixture(upHub, up.hostPort, dir);
    } finally {
      await upHub.close();
    }
    api = new SecureClient(reg.url, reg.security!.caCertPath);
    admin = basic('admin', reg.security!.adminPassword);
    browser = await launchBrowser();
  });
  after(async () => {
    await closeConsolePages(pages);
    await browser?.close();
    await api?.close();
    await Promise.all([up?.close(), reg?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('catalog mirror --report-to-registry: the run is listed with its images, bytes and missing images', async () => {
    const authfile = join(dir, 'auth.json');
    await writeFile(authfile, JSON.stringify({ auths: { [reg.hostPort]: { auth: Buffer.from(`admin:${reg.security!.adminPassword}`).toString('base64') } } }), { mode: 0o600 });
    const started = Date.now();
    const r = await runAirlockCli(['catalog', 'mirror', '--no-progress', '--src-insecure', '-a', authfile, '--certificate-authority', reg.security!.caCertPath, '--skip-missing', '--report-to-registry', '-o', 'json', '--to-manifests', join(dir, 'manifests'), `${up.hostPort}/olm/fbc-index:v1`, `${reg.hostPort}/mirror`], { env: { HOME: dir }, cwd: dir, timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`info: run report sent to ${reg.hostPort.replace(/\./g, '\\.')} \\(run \\d+\\)`));
    const doc = JSON.parse(r.stdout) as MirrorJson;
    indexRepo = doc.index.destination.slice(reg.hostPort.length + 1).replace(/:[^/]+$/, '');
    const list = await api.request('GET', '/api/v1/mirror-runs', { headers: { authorization: admin } });
    assert.equal(list.status, 200, list.text());
    const runs = list.json<{ runs: { command: string; images: number; bytes: number; blobsTransferred: number; blobsMounted: number; missingCount: number; missing: string[]; failedCount: number; repositories: string[]; startedAt: number; finishedAt: number; sentBy: string }[] }>().runs;
    assert.equal(runs.length, 1);
    const run = runs[0]!;
    assert.equal(run.command, 'catalog mirror');
    assert.equal(run.sentBy, 'admin');
    assert.equal(run.images, doc.images.length, 'the images the run copied');
    assert.equal(run.images, fx.images.length + 1, 'every present related image and the index');
    assert.equal(run.bytes, doc.stats.bytesTransferred);
    assert.equal(run.blobsTransferred, doc.stats.blobs.uploaded);
    assert.equal(run.blobsMounted, doc.stats.blobs.mounted);
    const storage = (await api.request('GET', '/api/v1/storage', { headers: { authorization: admin } })).json<{ blobs: number; blobBytes: number }>();
    assert.equal(run.bytes, storage.blobBytes, 'a fresh mirror: each stored blob was transferred once');
    assert.equal(run.missingCount, 2);
    assert.deepEqual([...run.missing].sort(), [...fx.missing].sort());
    assert.equal(run.failedCount, 0);
    assert.ok(run.repositories.includes(indexRepo), `${indexRepo} is among the run's repositories`);
    assert.ok(run.startedAt >= started - 1000 && run.finishedAt >= run.startedAt);
  });

  it('links the mirrored index to its catalog view: packages, channels, heads and default channels as the catalog model computes', async () => {
    const want = summarize(fx.catalog);
    for (const width of [1280, 390]) {
      const c = await open(width);
      const p = c.page;
      await p.goto(`${reg.url}/#/repo/${indexRepo}`);
      const link = p.locator('[data-catalog-link="v1"]');
      await link.waitFor();
      await link.click();
      const rows = p.locator('[data-table="catalog"] tbody tr');
      await rows.first().waitFor();
      assert.equal(await p.locator('[data-field="catalog-packages"]').textContent(), String(want.length));
      assert.equal(await p.locator('[data-field="catalog-platform"]').textContent(), 'linux/amd64');
      const shown = await rows.evaluateAll((trs) =>
        trs.map((tr) => {
          const cells = [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '');
          return [tr.getAttribute('data-package'), tr.getAttribute('data-channel'), cells[1] === 'default', tr.querySelector('[data-field="head"]')?.textContent ?? null, cells[3] ?? ''];
        }),
      );
      const expected = want.flatMap((pkg) => pkg.channels.map((ch) => [pkg.name, ch.name, ch.name === pkg.defaultChannel, ch.head, ch.headVersion ?? '']));
      assert.deepEqual(shown, expected);
      await c.shot('catalog');
      if (width === 1280) {
        // The filter narrows the packages; keyboard reaches it.
        await p.getByLabel('Package name contains').fill('etcd');
        assert.deepEqual(await rows.evaluateAll((trs) => [...new Set(trs.map((tr) => tr.getAttribute('data-package')))]), ['etcd']);
        await p.getByRole('link', { name: /^sha256:/ }).first().click();
        await p.locator('[data-field="digest"]').waitFor();
        await p.getByRole('link', { name: 'its packages, channels and heads' }).click();
        await p.locator('[data-table="catalog"] tbody tr').first().waitFor();
      }
      const overflow = await p.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      assert.ok(overflow <= 0, `no horizontal page scroll at ${width} px (overflow ${overflow} px)`);
    }
  });

  it('renders hostile package, channel and bundle names as text (stored XSS through a catalog)', async () => {
    const pkgName = `<img src=x onerror="window.__xss='pkg'">`;
    const chName = `<script>window.__xss='channel'</script>`;
    const bundle = `"'><svg onload="window.__xss='bundle'">.v1.0.0`;
    const files = fixtureFbcFiles(fx, stringify);
    const docs = [
      { schema: 'olm.package', name: pkgName, defaultChannel: chName },
      { schema: 'olm.channel', package: pkgName, name: chName, entries: [{ name: bundle }] },
      { schema: 'olm.bundle', package: pkgName, name: bundle, image: `${up.hostPort}/evil/bundle@sha256:${'a'.repeat(64)}`, properties: [{ type: 'olm.package', value: { packageName: pkgName, version: '1.0.0' } }] },
    ];
    files.set('evil/catalog.json', docs.map((d) => JSON.stringify(d)).join('\n'));
    await pushCatalog('hostile/index', files);
    const c = await open();
    await c.page.goto(`${reg.url}/#/catalog/hostile/index:v1`);
    const row = c.page.locator('[data-table="catalog"] tbody tr', { hasText: 'window.__xss' });
    await row.first().waitFor();
    assert.equal(await row.count(), 1, 'one channel row for the hostile package');
    const cells = await row.first().evaluate((tr) => ({ pkg: tr.getAttribute('data-package'), ch: tr.getAttribute('data-channel'), text: tr.textContent ?? '' }));
    assert.equal(cells.pkg, pkgName);
    assert.equal(cells.ch, chName);
    assert.ok(cells.text.includes(pkgName) && cells.text.includes(chName) && cells.text.includes(bundle), `the names are shown verbatim as text: ${cells.text}`);
    assert.equal(await c.page.locator('[data-table="catalog"] img, [data-table="catalog"] svg, [data-table="catalog"] script').count(), 0, 'no element was created from a name');
    assert.equal(await c.page.evaluate<unknown>('window.__xss'), undefined, 'no payload script ran');
    assert.deepEqual(c.dialogs, []);
    await c.shot('catalog-hostile');
  });

  it('shows a malformed catalog as one line, not a stack trace', async () => {
    const files = fixtureFbcFiles(fx, stringify);
    files.set('kafka/catalog.yaml', '---\nschema: olm.package\nname: kafka\n---\nschema: olm.package\nname: kafka\n');
    await pushCatalog('broken/index', files);
    const c = await open();
    await c.page.goto(`${reg.url}/#/catalog/broken/index:v1`);
    const alert = c.page.locator('[role="alert"]');
    await alert.waitFor();
    const text = (await alert.textContent())!;
    assert.match(text, /^Error: catalog of broken\/index:v1: configs\/kafka\/catalog\.yaml:\d+: package "kafka" is declared twice/);
    assert.doesNotMatch(text, /\n|\bat [\w.]+ \(/, 'one line, no stack');
    assert.equal(await c.page.locator('[data-table="catalog"]').count(), 0);
    await c.shot('catalog-error');
    // The browser logs the API's 422 answer as a failed resource; that one is expected, anything else is not.
    const expected = /^Failed to load resource: the server responded with a status of 422\b/;
    assert.ok(c.errors.some((e) => expected.test(e)), `the 422 answer was logged: ${JSON.stringify(c.errors)}`);
    c.errors.splice(0, c.errors.length, ...c.errors.filter((e) => !expected.test(e)));
  });
});
