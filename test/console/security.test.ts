/**
 * The console's security in headless Chromium against a TLS + auth airlock:
 * stored XSS through manifest annotations (and a referrer's) and a tag name
 * renders as literal text and runs nothing; the response headers (CSP
 * without inline script, frame-ancestors 'none', nosniff); a robot creation
 * from the session without the CSRF token is refused; an idle session
 * returns the console to its login; a pull-only account sees no admin page
 * and gets 403 from the admin API.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { chromiumUnavailableReason, consoleLogin, launchBrowser, openConsole, type ConsolePage } from '../helpers/browser.js';
import { peerGate } from '../interop/support/peers.js';
import { SecureClient, basic, sha256 } from '../security/support/secure-client.js';

const gate = peerGate([chromiumUnavailableReason()]);
const PAYLOAD = `<img src=x onerror="window.__xss='img'"><script>window.__xss='script'</script>"'><svg onload="window.__xss='svg'">`;
const TAG = 'x-img_src-onerror.alert-1';

describe('console security in a real browser', { skip: gate.skip, timeout: 600_000 }, () => {
  if (gate.failure !== undefined) {
    it('has the peer tools it needs', () => assert.fail(gate.failure));
    return;
  }
  let reg: AirlockHandle;
  let api: SecureClient;
  let admin: string;
  let browser: Browser;
  let digest: string;
  const pages: ConsolePage[] = [];
  const open = async (): Promise<ConsolePage> => {
    const p = await openConsole(browser);
    pages.push(p);
    return p;
  };

  async function putManifest(repo: string, ref: string, m: object): Promise<string> {
    const body = JSON.stringify(m);
    const r = await api.request('PUT', `/v2/${repo}/manifests/${ref}`, { headers: { authorization: admin, 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body });
    assert.equal(r.status, 201, r.text());
    return sha256(body);
  }

  before(async () => {
    reg = await startAirlock({ auth: 'token' });
    api = new SecureClient(reg.url, reg.security!.caCertPath);
    admin = basic('admin', reg.security!.adminPassword);
    await reg.security!.addUser('reader', 'reader-password', { pull: ['evil/**'] });
    assert.equal((await api.pushImage('evil/app', 'base', admin, 'xss-seed')).status, 201);
    const base = await api.request('GET', '/v2/evil/app/manifests/base', { headers: { authorization: admin, accept: 'application/vnd.oci.image.manifest.v1+json' } });
    const m = base.json<{ config: { digest: string; size: number }; layers: unknown[] }>();
    digest = await putManifest('evil/app', TAG, { ...m, annotations: { 'org.opencontainers.image.description': PAYLOAD, [`${PAYLOAD}-key`]: 'v' } });
    const empty = Buffer.from('{}');
    assert.equal((await api.pushBlob('evil/app', empty, admin)).status, 201);
    await putManifest('evil/app', 'sig', {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.example.sbom',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: 2 },
      layers: [{ mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: 2 }],
      subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: 0 },
      annotations: { 'org.example.note': PAYLOAD },
    });
    browser = await launchBrowser();
  });
  after(async () => {
    for (const p of pages) await p.close();
    await browser?.close();
    await api?.close();
    await reg?.close();
  });

  it('serves / with a CSP without inline script, frame-ancestors none and nosniff', async () => {
    const r = await api.request('GET', '/');
    assert.equal(r.status, 200);
    const csp = String(r.headers['content-security-policy']);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /default-src 'none'/);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.doesNotMatch(r.text(), /<script>|<script [^>]*>[^<]/, 'no inline script in the page');
    const js = await api.request('GET', '/console/console.js');
    assert.equal(js.status, 200);
    assert.match(String(js.headers['content-type']), /^text\/javascript/);
    assert.doesNotMatch(js.text(), /https?:\/\/(?!127\.0\.0\.1|localhost)[a-z0-9.-]+\.[a-z]{2,}\/[\w/.-]*\.(js|css|woff2?)/i, 'the bundle loads nothing from the internet');
    assert.equal((await api.request('GET', '/console/../package.json')).status, 404);
  });

  it('renders a hostile annotation and tag name as text; no script runs', async () => {
    const c = await open();
    await consoleLogin(c.page, reg.url, 'reader', 'reader-password');
    const p = c.page;
    await p.goto(`${reg.url}/#/repo/evil/app`);
    const tag = p.locator(`[data-tag="${TAG}"]`);
    await tag.waitFor();
    assert.equal(await tag.textContent(), TAG);
    await p.goto(`${reg.url}/#/manifest/evil/app@${digest}`);
    const notes = p.locator('[data-list="annotations"]');
    await notes.waitFor();
    const dd = await notes.locator('dd').allTextContents();
    assert.ok(dd.includes(PAYLOAD), 'the annotation shows literally');
    assert.ok((await notes.locator('dt').allTextContents()).includes(`${PAYLOAD}-key`), 'a hostile key shows literally');
    assert.equal(await p.locator('[data-table="referrers"] tbody tr').count(), 1, 'the referrer is listed');
    await p.locator('[data-table="referrers"] a').click();
    await p.locator('[data-list="annotations"] dd', { hasText: 'window.__xss' }).waitFor();
    await c.shot('xss');
    assert.equal(await p.locator('#app img, #app script, #app svg[onload]').count(), 0, 'no element was made from the payload');
    assert.equal(await p.evaluate<unknown>('window.__xss'), undefined, 'no payload script ran');
    assert.deepEqual(c.dialogs, []);
  });

  it('refuses a robot creation from the session without the CSRF token', async () => {
    const c = await open();
    await consoleLogin(c.page, reg.url, 'admin', reg.security!.adminPassword);
    const status = await c.page.evaluate<number>(`fetch('/api/v1/robots', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'forged', pull: ['**'] }) }).then((r) => r.status)`);
    assert.equal(status, 403);
    assert.equal(await reg.registry.auth!.store.get('robot+forged'), undefined);
    const cookie = (await c.context.cookies()).find((k) => k.name === 'airlock_session');
    assert.ok(cookie);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.secure, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(await c.page.evaluate<string>('document.cookie'), '', 'scripts cannot read the session cookie');
  });

  it('a pull-only account reaches neither the admin pages nor the admin API', async () => {
    const c = await open();
    const p = c.page;
    await consoleLogin(p, reg.url, 'reader', 'reader-password');
    assert.equal(await p.getByRole('link', { name: 'Robots' }).count(), 0);
    assert.equal(await p.getByRole('link', { name: 'Storage and GC' }).count(), 0);
    for (const view of ['robots', 'storage']) {
      await p.goto(`${reg.url}/#/${view}`);
      await p.locator('[data-denied="admin"]').waitFor();
    }
    await c.shot('pull-only-denied');
    for (const path of ['/api/v1/robots', '/api/v1/storage', '/api/v1/storage/gc-plan', '/api/v1/accounts']) {
      assert.equal(await p.evaluate<number>(`fetch(${JSON.stringify(path)}).then((r) => r.status)`), 403, path);
    }
  });

  it('an idle session returns the console to its login', async () => {
    const short = await startAirlock({ auth: 'token', config: { auth: { consoleIdleSeconds: 1 } } });
    try {
      const c = await open();
      await consoleLogin(c.page, short.url, 'admin', short.security!.adminPassword);
      await c.page.waitForTimeout(2500);
      await c.page.getByRole('link', { name: 'Mirror runs' }).click();
      const notice = c.page.locator('[data-notice="login"]');
      await notice.waitFor();
      assert.match((await notice.textContent())!, /^Your session ended \(the console session expired or ended; log in again\)/);
      await c.page.getByLabel('User name').waitFor();
    } finally {
      await short.close();
    }
  });
});
