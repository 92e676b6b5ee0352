/**
 * The console in headless Chromium against a TLS + auth airlock on loopback:
 * log in; walk the tree to a 4-level repository skopeo pushed and see the
 * same digest; create a pull-only robot and pull with podman using the entry
 * the console showed once; delete a tag and see the GC dry run change; see a
 * mirrored release's versions and imageContentSources; see a
 * run that `airlock image mirror --report-to-registry` sent. Every view is
 * screenshotted at 1280 px and 390 px into test-artifacts/console/; no page
 * may request anything off loopback.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { makeFixtures, type FixtureImage } from '../fixtures/make-fixtures.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { runAirlockCli } from '../helpers/airlock-process.js';
import { chromiumUnavailableReason, closeConsolePages, consoleLogin, launchBrowser, openConsole, type ConsolePage } from '../helpers/browser.js';
import { createPodman, podmanUnavailableReason } from '../helpers/podman.js';
import { skopeoAvailable, skopeoOk } from '../helpers/skopeo.js';
import { peerGate } from '../interop/support/peers.js';
import { SecureClient, basic } from '../security/support/secure-client.js';

const gate = peerGate([chromiumUnavailableReason(), skopeoAvailable() ? undefined : 'skopeo (apt-get install skopeo)', podmanUnavailableReason()]);
const NESTED = 'ocp4/openshift/release/tools';

describe('console in a real browser', { skip: gate.skip, timeout: 900_000 }, () => {
  if (gate.failure !== undefined) {
    it('has the peer tools it needs', () => assert.fail(gate.failure));
    return;
  }
  let work: string;
  let certs: string;
  let reg: AirlockHandle;
  let api: SecureClient;
  let admin: string;
  let browser: Browser;
  let images: FixtureImage[];
  const pages: ConsolePage[] = [];

  const open = async (width = 1280): Promise<ConsolePage> => {
    const p = await openConsole(browser, width);
    pages.push(p);
    await consoleLogin(p.page, reg.url, 'admin', reg.security!.adminPassword);
    return p;
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'airlock-console-'));
    chmodSync(work, 0o755);
    images = (await makeFixtures(join(work, 'fx'), { smallCount: 2 })).images.filter((i) => /^small-0[01]-v1$/.test(i.ref));
    assert.equal(images.length, 2);
    reg = await startAirlock({ auth: 'token', config: { gc: { enabled: false, graceSeconds: 0, deleteUntagged: true } } });
    certs = mkdtempSync(join(tmpdir(), 'airlock-console-certs-'));
    chmodSync(certs, 0o755);
    copyFileSync(reg.security!.caCertPath, join(certs, 'ca.crt'));
    chmodSync(join(certs, 'ca.crt'), 0o644);
    api = new SecureClient(reg.url, reg.security!.caCertPath);
    admin = basic('admin', reg.security!.adminPassword);
    await skopeoOk(['copy', '-q', `--dest-cert-dir=${certs}`, `--dest-creds=admin:${reg.security!.adminPassword}`, images[0]!.source, `docker://${reg.hostPort}/${NESTED}:v1`]);
    browser = await launchBrowser();
  });
  after(async () => {
    await closeConsolePages(pages);
    await browser?.close();
    await api?.close();
    await reg?.close();
    for (const d of [certs, work]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('logs in and walks the tree to the 4-level repository skopeo pushed, showing the same digest', async () => {
    for (const width of [1280, 390]) {
      const c = await open(width);
      const p = c.page;
      for (const part of ['ocp4/', 'openshift/', 'release/']) {
        await p.locator('[data-list="tree"]').getByRole('link', { name: part, exact: true }).click();
      }
      await c.shot('tree');
      await p.getByRole('link', { name: `Tags of ${NESTED}` }).click();
      await p.locator('[data-tag="v1"]').waitFor();
      const digestLink = p.locator('[data-table="tags"] a.digest').first();
      assert.equal(await digestLink.textContent(), images[0]!.digest, 'the tag page shows the digest skopeo pushed');
      await c.shot('tags');
      await digestLink.click();
      const shown = p.locator('[data-field="digest"]');
      await shown.waitFor();
      assert.equal(await shown.textContent(), images[0]!.digest);
      assert.equal(await p.locator('[data-copy="pull spec by digest"]').textContent(), `${reg.hostPort}/${NESTED}@${images[0]!.digest}`);
      assert.equal(await p.locator('[data-copy="podman pull by tag"]').textContent(), `podman pull ${reg.hostPort}/${NESTED}:v1`);
      assert.ok((await p.locator('[data-table="layers"] tbody tr').count()) >= 1, 'layers listed');
      await c.shot('manifest');
      // Keyboard: Tab reaches the copy buttons.
      let reached = false;
      for (let i = 0; i < 40 && !reached; i++) {
        await p.keyboard.press('Tab');
        reached = (await p.evaluate<string>('document.activeElement?.getAttribute("aria-label") ?? ""')) === 'Copy pull spec by digest';
      }
      assert.ok(reached, 'the copy button is reachable with Tab');
      const overflow = await p.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      assert.ok(overflow <= 0, `no horizontal page scroll at ${width} px (overflow ${overflow} px)`);
    }
  });

  it('creates a pull-only robot, shows its entry once, and podman pulls with it; a push robot gets the cluster warning', async () => {
    const c = await open();
    const p = c.page;
    await p.goto(`${reg.url}/#/robots`);
    await p.getByLabel('Name', { exact: true }).fill('cluster');
    await p.getByLabel(/^Pull globs/).fill('ocp4/**');
    await p.getByRole('button', { name: 'Create robot' }).click();
    const entry = p.locator('[data-copy="pull-secret entry"]');
    await entry.waitFor();
    assert.equal(await p.locator('[data-warning="push-robot"]').count(), 0, 'no push warning for a pull-only robot');
    await c.shot('robot-created');
    const secret = JSON.parse((await entry.textContent())!) as { auths: Record<string, { auth: string }> };
    assert.ok(secret.auths[reg.hostPort], `entry for ${reg.hostPort}`);
    await p.getByRole('button', { name: 'I have copied it' }).click();
    assert.equal(await entry.count(), 0, 'the entry is gone once dismissed');
    await p.reload();
    await p.locator('[data-robot="robot+cluster"]').waitFor();
    assert.equal(await p.locator('[data-copy="pull-secret entry"]').count(), 0, 'never shown again');

    const pm = await createPodman([reg.hostPort]);
    try {
      const authfile = join(pm.dir, 'pull-secret.json');
      writeFileSync(authfile, JSON.stringify(secret), { mode: 0o600 });
      await pm.ok(['pull', '-q', `--authfile=${authfile}`, '--tls-verify=true', `--cert-dir=${certs}`, `${reg.hostPort}/${NESTED}:v1`]);
      const id = (await pm.ok(['image', 'inspect', '--format', '{{.Id}}', `${reg.hostPort}/${NESTED}:v1`])).stdout.trim();
      assert.equal(`sha256:${id}`, images[0]!.configDigest);
    } finally {
      await pm.close();
    }

    await p.getByLabel('Name', { exact: true }).fill('pusher');
    await p.getByLabel(/^Pull globs/).fill('ocp4/**');
    await p.getByLabel(/^Push globs/).fill('ocp4/**');
    await p.getByRole('button', { name: 'Create robot' }).click();
    const warning = p.locator('[data-warning="push-robot"]');
    await warning.waitFor();
    await p.getByLabel('I will use this as a cluster pull secret').check();
    assert.match((await warning.textContent())!, /^Warning: this robot can push \(ocp4\/\*\*\)\. As a cluster pull secret, every node would get write access/);
    await c.shot('robot-push-warning');
    await p.getByRole('button', { name: 'I have copied it' }).click();
    // Rotate, then delete (the confirm dialog is accepted).
    await p.getByRole('button', { name: 'Rotate robot+pusher' }).click();
    await p.locator('[data-copy="pull-secret entry"]').waitFor();
    await p.getByRole('button', { name: 'I have copied it' }).click();
    await p.getByRole('button', { name: 'Delete robot+pusher' }).click();
    await p.locator('[data-robot="robot+pusher"]').waitFor({ state: 'detached' });
    assert.equal(await reg.registry.auth!.store.get('robot+pusher'), undefined);
    assert.deepEqual(c.dialogs, ['confirm: Delete robot+pusher? Its token stops working at once.']);
  });

  it('a deleted tag shows up in the GC dry run', async () => {
    const pushed = await api.pushImage('scratch/app', 'old', admin, 'console-gc-seed');
    assert.equal(pushed.status, 201);
    const c = await open();
    const p = c.page;
    await p.goto(`${reg.url}/#/storage`);
    const dry = async (): Promise<number> => {
      await p.getByRole('button', { name: 'GC dry run' }).click();
      const n = p.locator('[data-result="gc-plan"] [data-field="plan-manifests"]');
      await p.getByRole('button', { name: 'GC dry run' }).waitFor();
      await n.waitFor();
      return Number(await n.textContent());
    };
    const before = await dry();
    const del = await api.request('DELETE', '/v2/scratch/app/manifests/old', { headers: { authorization: admin } });
    assert.equal(del.status, 202, del.text());
    await p.reload();
    const afterDelete = await dry();
    assert.equal(afterDelete, before + 1, 'the untagged manifest is what a collection would now remove');
    await c.shot('storage');
  });

  it('shows a mirrored release: versions, component counts and the imageContentSources snippet', async () => {
    for (const tag of ['4.16.3-x86_64', '4.16.3-x86_64-etcd', '4.16.3-x86_64-cli', '4.16.3-x86_64-installer', '4.17.0-rc.1-aarch64', '4.17.0-rc.1-aarch64-etcd']) {
      assert.equal((await api.pushImage('ocp4/openshift4', tag, admin, 'release-seed')).status, 201);
    }
    const c = await open(390);
    const p = c.page;
    await p.goto(`${reg.url}/#/repo/ocp4/openshift4`);
    const rows = p.locator('[data-table="releases"] tbody tr');
    await rows.first().waitFor();
    const text = await Promise.all((await rows.all()).map((r) => r.locator('td').allTextContents()));
    assert.deepEqual(text, [['4.16.3', 'x86_64', '3'], ['4.17.0-rc.1', 'aarch64', '1']]);
    const snippet = await p.locator('[data-copy="imageContentSources"]').textContent();
    assert.equal(snippet, `imageContentSources:\n- mirrors:\n  - ${reg.hostPort}/ocp4/openshift4\n  source: quay.io/openshift-release-dev/ocp-release\n- mirrors:\n  - ${reg.hostPort}/ocp4/openshift4\n  source: quay.io/openshift-release-dev/ocp-v4.0-art-dev`);
    await c.shot('release');
  });

  it('lists a run that airlock image mirror --report-to-registry sent', async () => {
    const authfile = join(work, 'auth.json');
    writeFileSync(authfile, JSON.stringify({ auths: { [reg.hostPort]: { auth: Buffer.from(`admin:${reg.security!.adminPassword}`).toString('base64') } } }), { mode: 0o600 });
    const r = await runAirlockCli(['image', 'mirror', '--report-to-registry', '--no-progress', '-a', authfile, '--certificate-authority', reg.security!.caCertPath, images[1]!.source, `${reg.hostPort}/mirrored/small:v1`], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`info: run report sent to ${reg.hostPort.replace(/\./g, '\\.')} \\(run \\d+\\)`));
    const c = await open();
    const p = c.page;
    await p.getByRole('link', { name: 'Mirror runs' }).click();
    const row = p.locator('[data-table="runs"] tbody tr').first();
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    assert.equal(cells[1], 'image mirror');
    assert.equal(cells[4], '1', 'one image');
    assert.equal(cells[6], '0', 'nothing missing');
    assert.match(cells[8]!, /^mirrored\/small$/);
    assert.equal(await p.locator('figure.chart svg rect.bar').count(), 2, 'a bar in each chart');

    // A later run with missing and failed images (as release mirror would send it) lists them.
    const failed = { command: 'release mirror', startedAt: Date.now() - 65_000, finishedAt: Date.now(), dryRun: false, repositories: ['mirrored/release'], images: 180, bytes: 5_000_000, blobsTransferred: 300, blobsMounted: 0, blobsPresent: 10, missingCount: 1, missing: ['quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:0000'], failedCount: 2, failed: [{ image: 'quay.io/a/b:c', error: 'manifest unknown' }, { image: 'quay.io/d/e:f', error: 'denied' }] };
    const posted = await api.request('POST', '/api/v1/mirror-runs', { headers: { authorization: admin, 'content-type': 'application/json' }, body: JSON.stringify(failed) });
    assert.equal(posted.status, 201, posted.text());
    await p.reload();
    await p.locator('[data-table="runs"] tbody tr', { hasText: 'release mirror' }).waitFor();
    const newest = await p.locator('[data-table="runs"] tbody tr').first().locator('td').allTextContents();
    assert.equal(newest[1], 'release mirror');
    assert.equal(newest[3], '65.0 s');
    assert.equal(newest[7], '2 (failed)');
    const details = p.getByRole('region', { name: /missing and failed images/ });
    assert.deepEqual(await details.locator('li').allTextContents(), ['missing: quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:0000', 'failed: quay.io/a/b:c: manifest unknown', 'failed: quay.io/d/e:f: denied']);
    assert.equal(await p.locator('figure.chart svg rect.bar').count(), 4, 'two bars in each chart');
    await c.shot('mirror-runs');
  });
});
