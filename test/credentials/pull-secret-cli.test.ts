/**
 * `airlock pull-secret add | rm | check` on Red Hat style pull secrets
 * (seed 000 §4.3.4, seed 004): merge byte-for-byte, namespace keys kept as
 * written, malformed files refused naming file and key (never the secret),
 * atomic 0600 writes that stay whole under concurrent writers; the result is
 * used by `airlock image info -a` against a token-auth airlock.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { writeTinyImages } from '../copy/support/tiny-images.js';
import { createCopyContext } from '../../src/copy/copy-context.js';
import { copyImage } from '../../src/copy/copy-image.js';
import { OciLayout } from '../../src/transports/oci-layout/layout.js';
import { OciLayoutSource } from '../../src/transports/oci-layout/layout-image.js';
import { AuthStore } from '../../src/transports/registry/auth-file.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { b64, leaks, runCli } from './support/run-cli.js';

/** A downloaded Red Hat pull secret: one compact line, four entries. */
const RED_HAT =
  '{"auths":{"cloud.openshift.com":{"auth":"b3BlbnNoaWZ0LXJlbGVhc2UtZGV2K29jbV9hY2Nlc3M6VE9LRU4x","email":"you@example.com"},' +
  '"quay.io":{"auth":"b3BlbnNoaWZ0LXJlbGVhc2UtZGV2K29jbV9hY2Nlc3M6VE9LRU4y","email":"you@example.com"},' +
  '"registry.connect.redhat.com":{"auth":"NTE3Njg5NjB8dWhjLTFFeHA6VE9LRU4z","email":"you@example.com"},' +
  '"registry.redhat.io":{"auth":"NTE3Njg5NjB8dWhjLTFFeHA6VE9LRU40","email":"you@example.com"}}}';

const decode = (auth: string): string => Buffer.from(auth, 'base64').toString('utf8');
type Secret = { auths: Record<string, { auth: string; email?: string }> };

describe('airlock pull-secret', { timeout: 180_000 }, () => {
  let dir: string;
  let n = 0;
  const fresh = (content?: string): { home: string; file: string } => {
    const home = join(dir, `case-${++n}`);
    mkdirSync(home);
    const file = join(home, 'pull-secret.json');
    if (content !== undefined) writeFileSync(file, content, { mode: 0o600 });
    return { home, file };
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-pull-secret-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('adds the mirror entry to a Red Hat pull secret: the other entries keep their bytes, base64 user:password and email, 0600', async () => {
    const { home, file } = fresh(RED_HAT);
    const r = await runCli(['pull-secret', 'add', '-f', file, '--registry', 'mirror.example.com:8443', '-u', 'robot+cluster', '--password-stdin', '--email', 'ops@example.com'], { home, stdin: 'robot:token-1\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^added "mirror\.example\.com:8443" to .*pull-secret\.json \(5 entries\)$/m);
    assert.equal(leaks(r, 'robot:token-1', 'robot+cluster'), undefined);
    const text = readFileSync(file, 'utf8');
    const entry = `"mirror.example.com:8443":{"auth":"${b64('robot+cluster', 'robot:token-1')}","email":"ops@example.com"}`;
    assert.equal(text, `${RED_HAT.slice(0, -2)},${entry}}}`, 'appended in the file\'s own compact style, everything else byte-equal');
    assert.equal(decode((JSON.parse(text) as Secret).auths['mirror.example.com:8443']!.auth), 'robot+cluster:robot:token-1');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(home), ['pull-secret.json'], 'no temporary or lock file left');
  });

  it('keeps a namespace key exactly as written (seed 004) and replaces an existing key in place, saying "updated"', async () => {
    const { home, file } = fresh(RED_HAT);
    const ns = 'my-registry:5000/my-namespace/';
    const add = await runCli(['pull-secret', 'add', '-f', file, '--registry', ns, '-u', 'user1', '--password-stdin', '-o', 'json'], { home, stdin: 'pw-one' });
    assert.equal(add.code, 0, add.stderr);
    const out = JSON.parse(add.stdout) as { action: string; key: string; keys: string[] };
    assert.equal(out.action, 'added');
    assert.deepEqual(out.keys, ['cloud.openshift.com', 'quay.io', 'registry.connect.redhat.com', 'registry.redhat.io', ns]);
    assert.equal(leaks(add, 'pw-one', 'user1'), undefined);
    const before = readFileSync(file, 'utf8');

    const upd = await runCli(['pull-secret', 'add', '-f', file, '--registry', 'quay.io', '-u', 'other', '--password-stdin'], { home, stdin: 'pw-two\n' });
    assert.equal(upd.code, 0, upd.stderr);
    assert.match(upd.stderr, /^updated "quay\.io" in /m);
    const after = readFileSync(file, 'utf8');
    const oldQuay = /"quay\.io":\{[^}]*\}/.exec(before)![0];
    const newQuay = `"quay.io":{"auth":"${b64('other', 'pw-two')}","email":"you@example.com"}`;
    assert.equal(after, before.replace(oldQuay, newQuay), 'replaced where it stood, email kept, nothing else changed');
    assert.deepEqual(Object.keys((JSON.parse(after) as Secret).auths), ['cloud.openshift.com', 'quay.io', 'registry.connect.redhat.com', 'registry.redhat.io', ns]);
  });

  it('keeps a pretty-printed (jq .) file pretty', async () => {
    const pretty = `${JSON.stringify(JSON.parse(RED_HAT), null, 2)}\n`;
    const { home, file } = fresh(pretty);
    const r = await runCli(['pull-secret', 'add', '-f', file, '--registry', 'mirror.example.com:8443/ocp4/', '-u', 'u', '--password-stdin'], { home, stdin: 'p' });
    assert.equal(r.code, 0, r.stderr);
    const expected = pretty.replace(/\n {2}\}\n\}\n$/, `,\n    "mirror.example.com:8443/ocp4/": {\n      "auth": "${b64('u', 'p')}"\n    }\n  }\n}\n`);
    assert.equal(readFileSync(file, 'utf8'), expected);
  });

  it('refuses malformed files naming the file and the key, never printing a secret, and leaves them untouched', async () => {
    const secretB64 = b64('someone', 'very-secret-42');
    const cases: [string, RegExp][] = [
      [`{"auths":{"quay.io":{"auth":"${secretB64}"},}}`, /pull-secret\.json: not valid JSON \(line 1, column \d+: expected a member name/],
      [`{"auths":{"quay.io":{"auth":"${secretB64}"}`, /pull-secret\.json: not valid JSON \(line 1, column \d+: expected ',' or '\}'/],
      [`{"auths":{"quay.io":{"auth":"${secretB64}"},"bad.example":{"auth":"%%%not base64"}}}`, /pull-secret\.json: entry "bad\.example": "auth" is not base64/],
      [`{"auths":{"quay.io":{"auth":"${secretB64}"},"nocolon.example":{"auth":"${Buffer.from('just-a-token-77').toString('base64')}"}}}`, /pull-secret\.json: entry "nocolon\.example": "auth" does not decode to user:password/],
      ['[1,2]', /expected a JSON object/],
      ['{"auths":[]}', /"auths" must be an object/],
    ];
    for (const [content, re] of cases) {
      const { home, file } = fresh(content);
      const r = await runCli(['pull-secret', 'add', '-f', file, '--registry', 'mirror:5000', '-u', 'u', '--password-stdin'], { home, stdin: 'new-pass' });
      assert.equal(r.code, 2, `${content}: ${r.stderr}`);
      assert.match(r.stderr, re);
      for (const s of [secretB64, 'very-secret-42', 'just-a-token-77', 'new-pass']) assert.ok(!(r.stdout + r.stderr).includes(s), `${s} printed`);
      assert.equal(readFileSync(file, 'utf8'), content);
      const check = await runCli(['pull-secret', 'check', '-f', file], { home });
      assert.notEqual(check.code, 0);
      assert.ok(!(check.stdout + check.stderr).includes(secretB64));
    }
  });

  it('refuses a bad --registry key and a user name with a colon; creates a missing file (0600, directory 0700)', async () => {
    const { home, file } = fresh(RED_HAT);
    for (const [key, user] of [['mirror:5000/ocp4/app:v1', 'u'], ['https://', 'u'], ['mir ror', 'u'], ['mirror:5000', 'a:b']] as const) {
      const r = await runCli(['pull-secret', 'add', '-f', file, '--registry', key, '-u', user, '--password-stdin'], { home, stdin: 'p' });
      assert.equal(r.code, 2, `${key} ${user}: ${r.stderr}`);
      assert.match(r.stderr, /expected host\[:port\]|cannot contain ":"/);
    }
    assert.equal(readFileSync(file, 'utf8'), RED_HAT);
    const missing = join(home, 'sub', 'new-secret.json');
    const r = await runCli(['pull-secret', 'add', '-f', missing, '--registry', 'mirror:5000', '-u', 'u', '--password-stdin'], { home, stdin: 'p' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^created "mirror:5000" in new file /m);
    assert.deepEqual(JSON.parse(readFileSync(missing, 'utf8')), { auths: { 'mirror:5000': { auth: b64('u', 'p') } } });
    assert.equal(statSync(missing).mode & 0o777, 0o600);
    assert.equal(statSync(join(home, 'sub')).mode & 0o777, 0o700);
  });

  it('concurrent adds to one file: every entry lands, the file stays valid 0600 JSON, no temporary or lock files remain', async () => {
    const { home, file } = fresh(RED_HAT);
    const keys = Array.from({ length: 6 }, (_, i) => `mirror-${i}.example:5000`);
    const runs = await Promise.all(keys.map((k, i) => runCli(['pull-secret', 'add', '-f', file, '--registry', k, '-u', `u${i}`, '--password-stdin'], { home, stdin: `p${i}` })));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as Secret;
    assert.deepEqual(Object.keys(doc.auths).sort(), ['cloud.openshift.com', 'quay.io', 'registry.connect.redhat.com', 'registry.redhat.io', ...keys].sort());
    keys.forEach((k, i) => assert.equal(decode(doc.auths[k]!.auth), `u${i}:p${i}`));
    assert.ok(readFileSync(file, 'utf8').startsWith(RED_HAT.slice(0, -2)), 'the original entries keep their bytes');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(home), ['pull-secret.json']);
  });

  it('check lists keys and usable credentials (user names, never secrets); rm removes one entry', async () => {
    const { home, file } = fresh(RED_HAT.replace('}}}', '},"empty.example":{"auth":""}}}'));
    const text = await runCli(['pull-secret', 'check', '-f', file], { home });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^quay\.io +user openshift-release-dev\+ocm_access$/m);
    assert.match(text.stdout, /^empty\.example +no credentials$/m);
    assert.ok(!text.stdout.includes('TOKEN'), 'passwords are not printed');
    const json = await runCli(['pull-secret', 'check', '-f', file, '-o', 'json'], { home });
    const doc = JSON.parse(json.stdout) as { valid: boolean; entries: { key: string; usable: boolean }[] };
    assert.equal(doc.valid, true);
    assert.deepEqual(doc.entries.map((e) => [e.key, e.usable]), [['cloud.openshift.com', true], ['quay.io', true], ['registry.connect.redhat.com', true], ['registry.redhat.io', true], ['empty.example', false]]);
    const rm = await runCli(['pull-secret', 'rm', '-f', file, '--registry', 'https://quay.io/'], { home });
    assert.equal(rm.code, 0, rm.stderr);
    assert.match(rm.stderr, /^removed "https:\/\/quay\.io\/" from /m);
    assert.equal(readFileSync(file, 'utf8'), RED_HAT.replace('}}}', '},"empty.example":{"auth":""}}}').replace(/,"quay\.io":\{[^}]*\}/, ''));
    const again = await runCli(['pull-secret', 'rm', '-f', file, '--registry', 'quay.io'], { home });
    assert.equal(again.code, 2);
    assert.match(again.stderr, /has no entry for "quay\.io"/);
    const missing = await runCli(['pull-secret', 'check', '-f', join(home, 'nope.json')], { home });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.json does not exist/);
  });

  describe('against a registry', () => {
    let reg: AirlockHandle;
    before(async () => {
      reg = await startAirlock({ auth: 'token' });
      const layout = join(dir, 'layout');
      await writeTinyImages(layout, 1, { layerSize: 2000 });
      const admin = AuthStore.parse('admin.json', JSON.stringify({ auths: { [reg.hostPort]: { auth: b64('admin', reg.security!.adminPassword) } } }));
      const hub = new RegistryHub({ auth: admin, caFile: reg.security!.caCertPath });
      await copyImage(createCopyContext(), new OciLayoutSource(await OciLayout.open(layout, { create: false })), 'img-0', [{ dst: hub.destination({ registry: reg.hostPort, repository: 'ocp4/app' }), tag: 'v1' }]);
      await hub.close();
    });
    after(async () => {
      await reg?.close();
    });

    it('a robot added under a namespace key is what image info -a uses for that namespace', async () => {
      const robot = await reg.security!.addRobot('cluster', { pull: ['ocp4/**'] });
      const { home, file } = fresh(RED_HAT);
      const add = await runCli(['pull-secret', 'add', '-f', file, '--registry', `${reg.hostPort}/ocp4/`, '-u', robot.username, '--password-stdin'], { home, stdin: robot.token });
      assert.equal(add.code, 0, add.stderr);
      assert.equal(leaks(add, robot.token, robot.username), undefined);
      const info = await runCli(['image', 'info', '-a', file, '--certificate-authority', reg.security!.caCertPath, '-o', 'json', `${reg.hostPort}/ocp4/app:v1`], { home });
      assert.equal(info.code, 0, info.stderr);
      assert.match((JSON.parse(info.stdout) as { digest: string }).digest, /^sha256:/);
      assert.ok(!existsSync(join(home, '.docker')), 'nothing written outside the file');
    });
  });
});
