/** Units of the credentials module: JSON spans, in-place edits, keys, default paths, files and locks. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthDocument } from '../../src/credentials/auth-document.js';
import { caBundle } from '../../src/credentials/certs-d.js';
import { defaultAuthFile } from '../../src/credentials/default-auth-file.js';
import { CredentialsError } from '../../src/credentials/errors.js';
import { JsonSyntaxError, parseJsonSpans } from '../../src/util/json-spans.js';
import { parseRegistryKey } from '../../src/credentials/registry-key.js';
import { withFileLock, writeCredentialsFile } from '../../src/credentials/secret-file.js';
import { AuthStore } from '../../src/transports/registry/auth-file.js';

const entry = (u: string, p: string): Record<string, unknown> => AuthDocument.entryValue(undefined, u, p);

describe('json-spans', () => {
  it('agrees with JSON.parse on valid documents and records member spans', () => {
    const text = ' {"a" : [1, -2.5e3, true, null, "x\\u0041\\n"], "b": {"c": {}}}\n';
    const root = parseJsonSpans(text);
    assert.equal(root.kind, 'object');
    if (root.kind !== 'object') return;
    assert.deepEqual(root.members.map((m) => m.key), ['a', 'b']);
    const b = root.members[1]!;
    assert.equal(text.slice(b.keyStart, b.keyEnd), '"b"');
    assert.deepEqual(JSON.parse(text.slice(b.value.start, b.value.end)), { c: {} });
    assert.deepEqual(JSON.parse(text.slice(root.start, root.end)), JSON.parse(text));
  });

  it('rejects what JSON.parse rejects, with line and column and without quoting the text', () => {
    const bad = ['{"a":1,}', '{"a":01}', "{'a':1}", '{"a":"tab\there"}', '{"a":"\\x"}', '[1 2]', '{"a":1} x', '', '{"a":', 'tru', '{"a":-}', '"\\u12G4"'];
    for (const text of bad) {
      assert.throws(() => JSON.parse(text));
      assert.throws(() => parseJsonSpans(text), (e: unknown) => e instanceof JsonSyntaxError && /^line \d+, column \d+: /.test(e.message), text);
    }
    try {
      parseJsonSpans('{\n  "auths": {\n    "h": {"auth": "c2VjcmV0OnZhbHVl"} oops\n  }\n}');
      assert.fail('no error');
    } catch (e) {
      assert.ok(e instanceof JsonSyntaxError);
      assert.equal(e.line, 3);
      assert.equal(e.column, 39);
      assert.ok(!e.message.includes('c2VjcmV0') && !e.message.includes('oops'));
    }
    assert.throws(() => parseJsonSpans('['.repeat(1000) + ']'.repeat(1000)), /nesting deeper/);
  });

  it('auth-file errors of the registry client say where, not what (JSON.parse would quote the secret)', () => {
    const text = '{"auths":{"quay.io":{"auth":c2VjcmV0OnBhc3N3b3Jk}}}';
    assert.throws(() => JSON.parse(text), /c2VjcmV0/, 'V8 quotes the text');
    assert.throws(() => AuthStore.parse('ps.json', text), (e: unknown) => e instanceof Error && /^ps\.json: not valid JSON \(line 1, column 29: expected a value/.test(e.message) && !e.message.includes('c2VjcmV0'));
  });
});

describe('AuthDocument edits', () => {
  it('replaces an equivalent key in place (scheme, trailing slash, docker.io aliases) and drops its repeats', () => {
    const text = '{"auths":{"https://index.docker.io/v1/":{"auth":"YTpi"},"quay.io":{"auth":"YTpi"},"docker.io":{"auth":"Yzpk"}}}';
    const { doc, replaced } = AuthDocument.parse('f', text).withEntry('docker.io', entry('u', 'p'));
    assert.equal(replaced, true);
    assert.equal(doc.text, `{"auths":{"quay.io":{"auth":"YTpi"},"docker.io":{"auth":"${Buffer.from('u:p').toString('base64')}"}}}`);
  });

  it('keeps a tab-indented auth.json tab-indented, adds "auths" to a docker config without it, fills an empty pretty "auths"', () => {
    const tabbed = '{\n\t"auths": {\n\t\t"a.example": {\n\t\t\t"auth": "YTpi"\n\t\t}\n\t}\n}\n';
    assert.equal(AuthDocument.parse('f', tabbed).withEntry('b.example', { auth: 'Yzpk' }).doc.text, '{\n\t"auths": {\n\t\t"a.example": {\n\t\t\t"auth": "YTpi"\n\t\t},\n\t\t"b.example": {\n\t\t\t"auth": "Yzpk"\n\t\t}\n\t}\n}\n');
    const docker = '{\n  "credsStore": "desktop"\n}\n';
    assert.equal(AuthDocument.parse('f', docker).withEntry('h', { auth: 'Yzpk' }).doc.text, '{\n  "credsStore": "desktop",\n  "auths": {\n    "h": {\n      "auth": "Yzpk"\n    }\n  }\n}\n');
    const empty = '{\n    "auths": {}\n}';
    assert.equal(AuthDocument.parse('f', empty).withEntry('h', { auth: 'Yzpk' }).doc.text, '{\n    "auths": {\n        "h": {\n            "auth": "Yzpk"\n        }\n    }\n}');
    assert.equal(AuthDocument.parse('f', '{}').withEntry('h', { auth: 'Yzpk' }).doc.text, '{"auths":{"h":{"auth":"Yzpk"}}}');
    const bom = '\ufeff{"auths":{}}';
    assert.equal(AuthDocument.parse('f', bom).withEntry('h', { auth: 'Yzpk' }).doc.text, '\ufeff{"auths":{"h":{"auth":"Yzpk"}}}');
  });

  it('removes first, middle, last and only entries without touching the rest', () => {
    const text = '{ "auths": { "a": {"auth":"YTpi"}, "b": {"auth":"YTpi"}, "c": {"auth":"YTpi"} }, "x": 1 }';
    const doc = AuthDocument.parse('f', text);
    assert.equal(doc.without('a').doc.text, '{ "auths": { "b": {"auth":"YTpi"}, "c": {"auth":"YTpi"} }, "x": 1 }');
    assert.equal(doc.without('b').doc.text, '{ "auths": { "a": {"auth":"YTpi"}, "c": {"auth":"YTpi"} }, "x": 1 }');
    assert.equal(doc.without('c').doc.text, '{ "auths": { "a": {"auth":"YTpi"}, "b": {"auth":"YTpi"} }, "x": 1 }');
    assert.equal(doc.without('a').doc.without('b').doc.without('c').doc.text, '{ "auths": {}, "x": 1 }');
    assert.equal(doc.without('zzz').removed, 0);
  });

  it('entryValue keeps non-credential fields of the old entry and drops old credentials', () => {
    const old = { auth: 'old', identitytoken: 'tok', email: 'a@b', note: 'keep' };
    assert.deepEqual(AuthDocument.entryValue(old, 'u', 'p:q'), { auth: Buffer.from('u:p:q').toString('base64'), note: 'keep', email: 'a@b' });
    assert.deepEqual(AuthDocument.entryValue(old, 'u', 'p', 'new@b'), { auth: Buffer.from('u:p').toString('base64'), note: 'keep', email: 'new@b' });
  });

  it('refuses to rewrite a legacy ~/.dockercfg and reports malformed entries by file and key', () => {
    const legacy = AuthDocument.parse('dockercfg', '{"h.example":{"auth":"YTpi","email":"x"}}');
    assert.equal(legacy.legacy, true);
    assert.throws(() => legacy.withEntry('h', {}), /legacy ~\/\.dockercfg/);
    const doc = AuthDocument.parse('ps.json', '{"auths":{"ok":{"auth":"YTpi"},"s":"str","b":{"auth":"@@"}}}');
    assert.throws(() => doc.assertValid(), (e: unknown) => e instanceof CredentialsError && /ps\.json: entry "s" must be an object/.test(e.message) && /ps\.json: entry "b": "auth" is not base64/.test(e.message));
    assert.deepEqual(doc.check()[0], { key: 'ok', username: 'a' });
  });
});

describe('registry keys', () => {
  it('login keys drop scheme and trailing slash; pull-secret keys stay as given; tags, digests and spaces are refused', () => {
    assert.deepEqual(parseRegistryKey('https://mirror.example:8443/ocp4/', 'r'), { key: 'mirror.example:8443/ocp4', host: 'mirror.example:8443', path: 'ocp4' });
    assert.deepEqual(parseRegistryKey('mirror.example:8443/ocp4/', 'r', true), { key: 'mirror.example:8443/ocp4/', host: 'mirror.example:8443', path: 'ocp4' });
    assert.deepEqual(parseRegistryKey('https://index.docker.io/v1/', 'r', true), { key: 'https://index.docker.io/v1/', host: 'index.docker.io' });
    assert.equal(parseRegistryKey('docker.io', 'r').host, 'registry-1.docker.io');
    assert.equal(parseRegistryKey('[::1]:5000', 'r').host, '[::1]:5000');
    for (const bad of ['', ' h', 'h:5000/a:v1', 'h/a@sha256:00', 'h:99999', 'h//a', 'h/A', 'https://', 'a b']) {
      assert.throws(() => parseRegistryKey(bad, '--registry', true), CredentialsError, bad);
    }
  });

  it('default auth file: REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR, root → /run/containers/0, others → XDG_CONFIG_HOME or ~/.config', () => {
    const run = tmpdir();
    assert.equal(defaultAuthFile({ REGISTRY_AUTH_FILE: '/x/a.json', XDG_RUNTIME_DIR: run }, 1000), '/x/a.json');
    assert.equal(defaultAuthFile({ XDG_RUNTIME_DIR: run }, 1000), join(run, 'containers', 'auth.json'));
    assert.equal(defaultAuthFile({ HOME: '/home/u' }, 0), '/run/containers/0/auth.json');
    assert.equal(defaultAuthFile({ HOME: '/home/u' }, 1000), '/home/u/.config/containers/auth.json');
    assert.equal(defaultAuthFile({ HOME: '/home/u', XDG_CONFIG_HOME: '/cfg' }, 1000), '/cfg/containers/auth.json');
    assert.throws(() => defaultAuthFile({ XDG_RUNTIME_DIR: join(run, 'does-not-exist-airlock') }, 1000), /does not exist/);
  });
});

describe('credential files', () => {
  it('writes 0600 even under a permissive umask, replaces atomically, and leaves no temporary file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-secret-file-'));
    try {
      const file = join(dir, 'a', 'b', 'auth.json');
      const old = process.umask(0);
      try {
        writeCredentialsFile(file, '{"auths":{}}');
      } finally {
        process.umask(old);
      }
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(statSync(join(dir, 'a', 'b')).mode & 0o777, 0o700);
      writeFileSync(file, 'old', { mode: 0o644 });
      writeCredentialsFile(file, 'new');
      assert.equal(readFileSync(file, 'utf8'), 'new');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.deepEqual(readdirSync(join(dir, 'a', 'b')), ['auth.json']);
      assert.throws(() => writeCredentialsFile(join(dir, 'a'), 'x'), /not a regular file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a lock left by a dead process is taken over; a live one makes the writer wait', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-lock-'));
    try {
      const file = join(dir, 'auth.json');
      const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
      writeFileSync(`${file}.lock`, `${dead}\n`);
      assert.equal(await withFileLock(file, () => 'ran', 2_000), 'ran');
      assert.deepEqual(readdirSync(dir), []);
      writeFileSync(`${file}.lock`, `${process.pid}\n`);
      await assert.rejects(withFileLock(file, () => 'never', 200), /held by another process/);
      rmSync(`${file}.lock`);
      const order: string[] = [];
      await Promise.all([
        withFileLock(file, async () => {
          order.push('a+');
          await new Promise((r) => setTimeout(r, 100));
          order.push('a-');
        }),
        new Promise((r) => setTimeout(r, 20)).then(() => withFileLock(file, () => void order.push('b'))),
      ]);
      assert.deepEqual(order, ['a+', 'a-', 'b']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('joins --certificate-authority and a certs.d directory into one temporary bundle, removed by cleanup', () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-certsd-'));
    try {
      writeFileSync(join(dir, 'one.pem'), 'PEM-ONE\n');
      writeFileSync(join(dir, 'ca.crt'), 'PEM-TWO\n');
      writeFileSync(join(dir, 'client.cert'), 'ignored');
      const single = caBundle('h:1', { caFile: join(dir, 'one.pem'), dirs: [] });
      assert.equal(single.caFile, join(dir, 'one.pem'));
      const both = caBundle('h:1', { caFile: join(dir, 'one.pem'), certDir: dir });
      assert.deepEqual(both.sources, [join(dir, 'one.pem'), join(dir, 'ca.crt')]);
      assert.equal(readFileSync(both.caFile!, 'utf8'), 'PEM-ONE\nPEM-TWO\n');
      both.cleanup();
      assert.throws(() => readFileSync(both.caFile!));
      assert.throws(() => caBundle('h:1', { certDir: join(dir, 'missing') }), /--cert-dir/);
      assert.throws(() => caBundle('h:1', { caFile: join(dir, 'missing.pem') }), /cannot read the CA certificate/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
