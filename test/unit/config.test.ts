/**
 * Registry configuration: defaults, YAML file, environment and flag
 * precedence, error messages that point at the problem, and the `serve`
 * command's handling of bad configuration and incomplete TLS material.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadRegistryConfig, validateConfig } from '../../src/config/registry-config.js';
import { runAirlockCli } from '../helpers/airlock-process.js';

let dir: string;
let n = 0;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-config-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function yamlFile(text: string): Promise<string> {
  const file = join(dir, `config-${++n}.yaml`);
  await writeFile(file, text);
  return file;
}

/** Runs `fn`, asserts it throws a ConfigError, returns its message. */
function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    return e.message;
  }
  assert.fail('expected a ConfigError, nothing was thrown');
}

describe('loadRegistryConfig', () => {
  it('has documented defaults', () => {
    const c = loadRegistryConfig({ env: {} });
    assert.equal(c.listen, '0.0.0.0:5000');
    assert.equal(c.dataDir, './airlock-data');
    assert.equal(c.insecureHttp, false);
    assert.equal(c.tlsCert, undefined);
    assert.equal(c.tlsKey, undefined);
    assert.equal(c.logLevel, 'info');
    assert.equal(c.manifestMaxBytes, 4 * 1024 * 1024);
    assert.deepEqual(c.sparseRepos, []);
    assert.equal(c.shutdownTimeoutSeconds, 30);
    assert.deepEqual(c.gc, { enabled: true, intervalSeconds: 600, graceSeconds: 3600, uploadTtlSeconds: 86400, deleteUntagged: false });
    assert.deepEqual(loadRegistryConfig({}), c, 'no env given behaves as an empty environment');
  });

  it('reads values from a YAML file and keeps defaults for the rest', async () => {
    const file = await yamlFile(
      [
        '# airlock registry',
        'listen: 127.0.0.1:5443',
        'dataDir: /srv/airlock',
        'tlsCert: /etc/airlock/tls.crt',
        'tlsKey: /etc/airlock/tls.key',
        'logLevel: debug',
        'manifestMaxBytes: 1048576',
        'sparseIndexRepos:',
        '  - ocp4/**',
        '  - "release/*"',
        'gc:',
        '  graceSeconds: 120',
        '  deleteUntagged: true',
        '',
      ].join('\n'),
    );
    const c = loadRegistryConfig({ file, env: {} });
    assert.equal(c.listen, '127.0.0.1:5443');
    assert.equal(c.dataDir, '/srv/airlock');
    assert.equal(c.tlsCert, '/etc/airlock/tls.crt');
    assert.equal(c.tlsKey, '/etc/airlock/tls.key');
    assert.equal(c.insecureHttp, false);
    assert.equal(c.logLevel, 'debug');
    assert.equal(c.manifestMaxBytes, 1048576);
    assert.deepEqual(c.sparseRepos, ['ocp4/**', 'release/*'], 'the old key sparseIndexRepos is an alias');
    assert.equal(c.sparseIndexRepos, undefined);
    assert.deepEqual(c.gc, { enabled: true, intervalSeconds: 600, graceSeconds: 120, uploadTtlSeconds: 86400, deleteUntagged: true });
  });

  it('reads upload limits and the free-space minimum (sizes such as 500M, 2G) from defaults, file, environment and flags', async () => {
    const d = loadRegistryConfig({ env: {} });
    assert.deepEqual(d.uploads, { idleTimeoutSeconds: 60, maxOpenPerAccount: 1000, maxOpenPerAddress: 1000 });
    assert.equal(d.minFreeSpace, 1024 ** 3);
    const file = await yamlFile('minFreeSpace: 1.5GiB\nuploads:\n  idleTimeoutSeconds: 5\n  maxOpenPerAccount: 50\n');
    const f = loadRegistryConfig({ file, env: {} });
    assert.equal(f.minFreeSpace, 1.5 * 1024 ** 3);
    assert.deepEqual(f.uploads, { idleTimeoutSeconds: 5, maxOpenPerAccount: 50, maxOpenPerAddress: 1000 });
    const env = { AIRLOCK_MIN_FREE_SPACE: '500M', AIRLOCK_UPLOAD_IDLE_TIMEOUT_SECONDS: '2', AIRLOCK_MAX_UPLOADS_PER_ADDRESS: '7' };
    const e = loadRegistryConfig({ file, env });
    assert.equal(e.minFreeSpace, 500 * 1024 ** 2);
    assert.deepEqual(e.uploads, { idleTimeoutSeconds: 2, maxOpenPerAccount: 50, maxOpenPerAddress: 7 });
    assert.equal(loadRegistryConfig({ env, flags: { minFreeSpace: '0' } }).minFreeSpace, 0);
    assert.equal(loadRegistryConfig({ env: {}, flags: { minFreeSpace: 4096 } }).minFreeSpace, 4096);
    const msg = configError(() => loadRegistryConfig({ env: { AIRLOCK_MIN_FREE_SPACE: '2 lots' } }));
    assert.match(msg, /minFreeSpace: invalid size "2 lots": expected bytes or a size such as 500M, 2G/);
    assert.match(configError(() => loadRegistryConfig({ env: {}, flags: { uploads: { maxOpenPerAccount: 0 } } })), /uploads\.maxOpenPerAccount/);
  });

  it('sparseRepos: the old name sparseIndexRepos is an alias in the file, the environment and flags; a higher layer replaces a lower one', async () => {
    const file = await yamlFile('sparseRepos: ["a/**"]\nsparseIndexRepos: ["b/*"]\n');
    assert.deepEqual(loadRegistryConfig({ file, env: {} }).sparseRepos, ['a/**', 'b/*'], 'both names in one layer add up');
    assert.deepEqual(loadRegistryConfig({ file, env: { AIRLOCK_SPARSE_REPOS: 'c/**' } }).sparseRepos, ['c/**']);
    assert.deepEqual(loadRegistryConfig({ file, env: { AIRLOCK_SPARSE_INDEX_REPOS: 'd/**' } }).sparseRepos, ['d/**']);
    assert.deepEqual(loadRegistryConfig({ file, env: {}, flags: { sparseRepos: ['e/**'] } }).sparseRepos, ['e/**']);
    assert.deepEqual(validateConfig({ sparseIndexRepos: ['f/**'] }).sparseRepos, ['f/**']);
    assert.match(configError(() => loadRegistryConfig({ env: {}, flags: { sparseRepos: ['bad glob'] } })), /sparseRepos\.0: invalid repository glob/);
  });

  it('treats an empty file as all defaults', async () => {
    const file = await yamlFile('# nothing configured yet\n');
    assert.deepEqual(loadRegistryConfig({ file, env: {} }), loadRegistryConfig({ env: {} }));
  });

  it('lets the environment override the file, key by key (nested keys too)', async () => {
    const file = await yamlFile('listen: 127.0.0.1:5000\nlogLevel: debug\ninsecureHttp: false\ngc:\n  graceSeconds: 120\n  intervalSeconds: 60\n');
    const c = loadRegistryConfig({
      file,
      env: {
        AIRLOCK_LISTEN: '127.0.0.1:6000',
        AIRLOCK_INSECURE_HTTP: 'true',
        AIRLOCK_GC_GRACE_SECONDS: '5',
        AIRLOCK_GC_ENABLED: '0',
        AIRLOCK_SPARSE_INDEX_REPOS: 'ocp4/**, mirror/*',
        AIRLOCK_MANIFEST_MAX_BYTES: '2048',
        AIRLOCK_DATA_DIR: '',
        UNRELATED: 'x',
      },
    });
    assert.equal(c.listen, '127.0.0.1:6000');
    assert.equal(c.insecureHttp, true);
    assert.equal(c.logLevel, 'debug', 'keys the environment does not set come from the file');
    assert.equal(c.dataDir, './airlock-data', 'an empty variable counts as unset');
    assert.deepEqual(c.sparseRepos, ['ocp4/**', 'mirror/*']);
    assert.equal(c.manifestMaxBytes, 2048);
    assert.equal(c.gc.graceSeconds, 5);
    assert.equal(c.gc.enabled, false);
    assert.equal(c.gc.intervalSeconds, 60, 'a sibling key of the file survives an environment override');
  });

  it('rejects malformed environment values, naming the variable', () => {
    assert.match(configError(() => loadRegistryConfig({ env: { AIRLOCK_INSECURE_HTTP: 'maybe' } })), /AIRLOCK_INSECURE_HTTP/);
    assert.match(configError(() => loadRegistryConfig({ env: { AIRLOCK_GC_INTERVAL_SECONDS: 'hourly' } })), /AIRLOCK_GC_INTERVAL_SECONDS/);
    assert.match(configError(() => loadRegistryConfig({ env: { AIRLOCK_LOG_LEVEL: 'loud' } })), /logLevel/);
  });

  it('lets flags override the environment; unset (undefined) flags do not', async () => {
    const file = await yamlFile('listen: 127.0.0.1:5000\ngc:\n  uploadTtlSeconds: 10\n');
    const c = loadRegistryConfig({
      file,
      env: { AIRLOCK_LISTEN: '127.0.0.1:6000', AIRLOCK_LOG_LEVEL: 'warn', AIRLOCK_GC_INTERVAL_SECONDS: '30', AIRLOCK_GC_GRACE_SECONDS: '40' },
      flags: { listen: '127.0.0.1:7000', logLevel: undefined, dataDir: undefined, gc: { graceSeconds: 1 } },
    });
    assert.equal(c.listen, '127.0.0.1:7000');
    assert.equal(c.logLevel, 'warn', 'an undefined flag must not hide the environment');
    assert.equal(c.dataDir, './airlock-data');
    assert.equal(c.gc.graceSeconds, 1);
    assert.equal(c.gc.intervalSeconds, 30, 'the environment value of a sibling gc key survives');
    assert.equal(c.gc.uploadTtlSeconds, 10, 'the file value of a sibling gc key survives');
  });

  it('reports broken YAML with file:line:col', async () => {
    const file = await yamlFile('# airlock\nlisten: 127.0.0.1:5000\nlisten: 127.0.0.1:5001\n');
    const msg = configError(() => loadRegistryConfig({ file, env: {} }));
    assert.ok(msg.includes(`${file}:3:`), `the message should point at ${file}:3 (the duplicate key): ${msg}`);
    assert.match(msg, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:\\d+`));
    assert.match(msg, /YAML/);
  });

  it('reports an unreadable file by name', () => {
    const file = join(dir, 'does-not-exist.yaml');
    const msg = configError(() => loadRegistryConfig({ file, env: {} }));
    assert.ok(msg.includes(file), msg);
  });

  it('rejects a top level that is not a mapping', async () => {
    const file = await yamlFile('- listen: 127.0.0.1:5000\n');
    const msg = configError(() => loadRegistryConfig({ file, env: {} }));
    assert.ok(msg.includes(file), msg);
    assert.match(msg, /mapping/);
  });

  it('names the key of a wrongly typed value', async () => {
    const file = await yamlFile('gc: {graceSeconds: "soon"}\n');
    const msg = configError(() => loadRegistryConfig({ file, env: {} }));
    assert.match(msg, /\bgc\.graceSeconds\b/, msg);
    assert.ok(msg.includes(file), `the message should name the file: ${msg}`);

    const flagMsg = configError(() => loadRegistryConfig({ env: {}, flags: { manifestMaxBytes: -1 } }));
    assert.match(flagMsg, /\bmanifestMaxBytes\b/, flagMsg);
    const levelMsg = configError(() => loadRegistryConfig({ env: {}, flags: { logLevel: 'verbose' } }));
    assert.match(levelMsg, /\blogLevel\b/, levelMsg);
  });

  it('rejects unknown keys, top-level and nested', async () => {
    const topFile = await yamlFile('listne: 127.0.0.1:5000\n');
    const top = configError(() => loadRegistryConfig({ file: topFile, env: {} }));
    assert.match(top, /\blistne\b/, top);
    const nestedFile = await yamlFile('gc:\n  graceSecs: 10\n');
    const nested = configError(() => loadRegistryConfig({ file: nestedFile, env: {} }));
    assert.match(nested, /\bgc\b/, nested);
    assert.match(nested, /\bgraceSecs\b/, nested);
  });
});

/** Arguments that keep a `serve` that unexpectedly starts on loopback, on a throwaway port and directory. */
function safeServeArgs(dataDir: string): string[] {
  return ['--listen', '127.0.0.1:0', '--data-dir', dataDir, '--log-level', 'warn'];
}

function assertCleanCliError(r: { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }, what: string): void {
  const out = `stdout: ${r.stdout}\nstderr: ${r.stderr}`;
  assert.equal(r.signal, null, `${what}: killed by a signal; ${out}`);
  assert.equal(r.code, 2, `${what}: exit code; ${out}`);
  assert.match(r.stderr, /^error: \S/, `${what}: stderr should start with "error: "; ${out}`);
  assert.doesNotMatch(r.stderr, /^\s+at /m, `${what}: no stack trace; ${out}`);
  assert.doesNotMatch(r.stdout, /listening/, `${what}: must not start serving; ${out}`);
}

describe('airlock serve (CLI)', { timeout: 60_000 }, () => {
  it('exits 2 with a one-line file:line error for a broken config file', async () => {
    const file = await yamlFile('# airlock\nlisten: 127.0.0.1:5000\nlisten: 127.0.0.1:5001\n');
    const dataDir = join(dir, 'data-broken-yaml');
    const r = await runAirlockCli(['serve', '--config', file, '--insecure-http', ...safeServeArgs(dataDir)]);
    assertCleanCliError(r, 'broken YAML');
    assert.ok(r.stderr.includes(`${file}:3:`), `stderr should point at ${file}:3: ${r.stderr}`);
    assert.ok(!existsSync(dataDir), 'nothing may be created before the configuration is valid');
  });

  it('exits 2 naming the key for a wrongly typed value in the config file', async () => {
    const file = await yamlFile('gc:\n  graceSeconds: soon\n');
    const r = await runAirlockCli(['serve', '--config', file, '--insecure-http', ...safeServeArgs(join(dir, 'data-bad-type'))]);
    assertCleanCliError(r, 'wrong type');
    assert.match(r.stderr, /\bgc\.graceSeconds\b/, r.stderr);
  });

  it('reads the config file named by AIRLOCK_CONFIG', async () => {
    const file = await yamlFile('gc:\n  intervalSeconds: "often"\n');
    const r = await runAirlockCli(['serve', '--insecure-http', ...safeServeArgs(join(dir, 'data-env-config'))], { env: { AIRLOCK_CONFIG: file } });
    assertCleanCliError(r, 'AIRLOCK_CONFIG');
    assert.match(r.stderr, /\bgc\.intervalSeconds\b/, r.stderr);
  });

  it('lists every option in --help', async () => {
    const r = await runAirlockCli(['serve', '--help']);
    assert.equal(r.code, 0, `serve --help: ${r.stderr}`);
    for (const opt of [
      '--listen',
      '--data-dir',
      '--config',
      '--insecure-http',
      '--tls-cert',
      '--tls-key',
      '--log-level',
      '--sparse-repo',
      '--sparse-index-repo',
      '--manifest-max-bytes',
      '--no-gc',
      '--gc-interval',
      '--gc-grace',
      '--upload-ttl',
      '--gc-delete-untagged',
      '--upload-idle-timeout',
      '--max-uploads-per-account',
      '--max-uploads-per-address',
      '--min-free-space',
    ]) {
      assert.match(r.stdout, new RegExp(`(^|[\\s,])${opt}\\b(?!-)`, 'm'), `serve --help does not list ${opt}:\n${r.stdout}`);
    }
  });

  // Without TLS flags `serve` now generates a CA and server certificate
  // (registry-security issue; covered in test/security/cli.test.ts).
  it('refuses a TLS certificate without its key', async () => {
    const dataDir = join(dir, 'data-no-tls');
    const onlyCert = await runAirlockCli(['serve', '--tls-cert', join(dir, 'cert.pem'), ...safeServeArgs(dataDir)]);
    assertCleanCliError(onlyCert, 'certificate without key');
    assert.match(onlyCert.stderr, /--tls-key/, onlyCert.stderr);
    assert.ok(!existsSync(dataDir), 'nothing may be created before the configuration is valid');
  });
});
