/**
 * `airlock release mirror --report-to-registry` in a real browser: a small
 * synthetic release on an upstream airlock is mirrored into a TLS + token-auth
 * airlock; the run the CLI sent is listed under Mirror runs with the command,
 * every component, the release image and their cosign signatures, and
 * nothing missing or failed;
 * the mirrored release shows up in the release view with its component count.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { makeSyntheticRelease, type SyntheticRelease } from '../fixtures/release-fixture.js';
import { runAirlockCli } from '../helpers/airlock-process.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { chromiumUnavailableReason, closeConsolePages, consoleLogin, launchBrowser, openConsole, type ConsolePage } from '../helpers/browser.js';
import { peerGate } from '../interop/support/peers.js';
import { SecureClient, basic } from '../security/support/secure-client.js';

const gate = peerGate([chromiumUnavailableReason()]);
const COMPONENTS = 8; // the fixture's minimum (its must-have components)

describe('release mirror --report-to-registry in the console', { skip: gate.skip, timeout: 600_000 }, () => {
  if (gate.failure !== undefined) {
    it('has the peer tools it needs', () => assert.fail(gate.failure));
    return;
  }
  let dir: string;
  let up: AirlockHandle;
  let reg: AirlockHandle;
  let api: SecureClient;
  let browser: Browser;
  let rel: SyntheticRelease;
  const pages: ConsolePage[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-console-release-'));
    [up, reg] = await Promise.all([startAirlock(), startAirlock({ auth: 'token', config: { gc: { enabled: false } } })]);
    rel = await makeSyntheticRelease({ registry: up.hostPort, version: '4.16.3', count: COMPONENTS });
    api = new SecureClient(reg.url, reg.security!.caCertPath);
    browser = await launchBrowser();
  });
  after(async () => {
    await closeConsolePages(pages);
    await browser?.close();
    await api?.close();
    await Promise.all([up?.close(), reg?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lists the run the CLI sent and the mirrored release', async () => {
    const authfile = join(dir, 'auth.json');
    await writeFile(authfile, JSON.stringify({ auths: { [reg.hostPort]: { auth: Buffer.from(`admin:${reg.security!.adminPassword}`).toString('base64') } } }), { mode: 0o600 });
    const to = `${reg.hostPort}/ocp4/openshift4`;
    const r = await runAirlockCli(['release', 'mirror', '--no-progress', '--src-insecure', '-a', authfile, '--certificate-authority', reg.security!.caCertPath, '--report-to-registry', `--from=${rel.ref}`, `--to=${to}`, `--to-release-image=${to}:4.16.3-x86_64`], { env: { HOME: dir }, cwd: dir, timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`info: run report sent to ${reg.hostPort.replace(/\./g, '\\.')} \\(run \\d+\\)`));

    const list = await api.request('GET', '/api/v1/mirror-runs', { headers: { authorization: basic('admin', reg.security!.adminPassword) } });
    assert.equal(list.status, 200, list.text());
    const runs = list.json<{ runs: { command: string; images: number; missingCount: number; failedCount: number; repositories: string[]; sentBy: string }[] }>().runs;
    assert.equal(runs.length, 1);
    const run = runs[0]!;
    assert.equal(run.command, 'release mirror');
    assert.equal(run.sentBy, 'admin');
    const sigs = [...rel.sigTags.values()].flat().length;
    assert.equal(rel.components.length, COMPONENTS);
    assert.equal(run.images, COMPONENTS + 1 + sigs, 'every component, the release image and their cosign signatures');
    assert.equal(run.missingCount, 0);
    assert.equal(run.failedCount, 0);
    assert.deepEqual(run.repositories, ['ocp4/openshift4']);

    for (const width of [1280, 390]) {
      const c = await openConsole(browser, width);
      pages.push(c);
      const p = c.page;
      await consoleLogin(p, reg.url, 'admin', reg.security!.adminPassword);
      await p.getByRole('link', { name: 'Mirror runs' }).click();
      const row = p.locator('[data-table="runs"] tbody tr').first();
      await row.waitFor();
      const cells = await row.locator('td').allTextContents();
      assert.equal(cells[1], 'release mirror');
      assert.equal(cells[4], String(run.images));
      assert.equal(cells[6], '0', 'nothing missing');
      assert.equal(cells[8], 'ocp4/openshift4');
      await p.goto(`${reg.url}/#/repo/ocp4/openshift4`);
      const rel0 = p.locator('[data-table="releases"] tbody tr').first();
      await rel0.waitFor();
      assert.deepEqual(await rel0.locator('td').allTextContents(), ['4.16.3', 'x86_64', String(COMPONENTS)]);
      const overflow = await p.evaluate<number>('document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth');
      assert.ok(overflow <= 0, `no horizontal page scroll at ${width} px (overflow ${overflow} px)`);
      await c.shot(`release-run-${width}`);
    }
  });
});
