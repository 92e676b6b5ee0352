/**
 * The single-file CLI (dist-bundle/airlock-cli.mjs), run from a directory
 * with no node_modules: no native module inside (esbuild's metafile), help
 * for every mirroring command group, one line for the server commands, and
 * `catalog list` reading a file-based catalog while a SQLite one is one line
 * naming the full bundle.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { fixtureFbcFiles, makeCatalogFixture } from '../fixtures/catalog/catalog-fixture.js';
import { pushIndexImage } from '../fixtures/catalog/index-image.js';
import { writeSqliteIndex } from '../fixtures/catalog/sqlite-index.js';
import { buildBundle, run, type Bundle } from './support.js';

describe('single-file CLI (airlock-cli.mjs)', () => {
  let bundle: Bundle;
  let dir: string;
  let cli: string;
  const airlock = (...args: string[]) => run(process.execPath, [cli, ...args], { cwd: dir, env: { HOME: dir } });

  before(async () => {
    bundle = await buildBundle();
    dir = await mkdtemp(join(tmpdir(), 'airlock-single-'));
    cli = join(dir, 'airlock-cli.mjs');
    await copyFile(bundle.cli, cli);
  });
  after(async () => {
    await Promise.all([dir && rm(dir, { recursive: true, force: true }), bundle && rm(bundle.dir, { recursive: true, force: true })]);
  });

  it('carries no native module: esbuild\'s metafile has no better-sqlite3, bindings or server code', async () => {
    const meta = JSON.parse(await readFile(join(bundle.dir, 'airlock-cli.meta.json'), 'utf8')) as { inputs: Record<string, unknown> };
    const inputs = Object.keys(meta.inputs);
    assert.ok(inputs.some((p) => p.includes('node_modules/commander/')), 'dependencies are inside');
    assert.ok(inputs.some((p) => p.endsWith('catalog/sqlite-read-unavailable.js')), 'the SQLite reader is the stand-in');
    assert.deepEqual(inputs.filter((p) => /better-sqlite3|node_modules\/bindings\/|catalog\/sqlite-read\.js$|src\/server\/|metadata\/sqlite\//.test(p)), []);
    const text = await readFile(bundle.cli, 'utf8');
    assert.ok(text.startsWith('#!/usr/bin/env node\n'));
    assert.doesNotMatch(text, /require\(["']better-sqlite3["']\)|from ["']better-sqlite3["']/);
    const sum = await run('sha256sum', ['-c', 'airlock-cli.mjs.sha256'], { cwd: bundle.dir });
    assert.equal(sum.code, 0, sum.stderr);
  });

  for (const group of ['image', 'release', 'catalog', 'login', 'logout', 'pull-secret', 'samples', 'verify', 'graph']) {
    it(`\`${group} --help\` works`, async () => {
      const r = await airlock(group, '--help');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Usage: airlock ${group} `));
    });
  }

  it('the top-level help lists the mirroring commands and marks the server ones', async () => {
    const r = await airlock('--help');
    assert.equal(r.code, 0, r.stderr);
    for (const c of ['image', 'release', 'catalog', 'login', 'logout', 'pull-secret', 'samples', 'verify', 'graph']) assert.match(r.stdout, new RegExp(`^  ${c} `, 'm'));
    assert.match(r.stdout, /^ {2}serve +\(needs the full bundle/m);
  });

  for (const [cmd, args] of [['serve', ['--listen', '127.0.0.1:0']], ['serve', ['--help']], ['user', ['add', 'alice']], ['gc', []], ['robot', ['list']], ['cert', ['show']]] as const) {
    it(`\`${cmd} ${args.join(' ')}\` is one line naming the full bundle`, async () => {
      const r = await airlock(cmd, ...args);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, `error: \`airlock ${cmd}\` needs the full bundle airlock-${bundle.version}-linux-${process.arch}.tar.gz (the single-file CLI has no SQLite module)\n`);
    });
  }

  describe('catalog list against a loopback registry', () => {
    let reg: AirlockHandle;
    before(async () => {
      reg = await startAirlock();
      const hub = new RegistryHub({ insecure: () => true });
      try {
        const fx = await makeCatalogFixture(reg.hostPort);
        await pushIndexImage(hub.destination({ registry: reg.hostPort, repository: 'olm/fbc' }), { kind: 'fbc', files: fixtureFbcFiles(fx, stringify) }, { tag: 'v1' });
        writeSqliteIndex(fx.catalog, join(dir, 'index.db'));
        await pushIndexImage(hub.destination({ registry: reg.hostPort, repository: 'olm/sqlite' }), { kind: 'sqlite', dbPath: join(dir, 'index.db') }, { tag: 'v1' });
      } finally {
        await hub.close();
      }
    });
    after(async () => reg?.close());

    it('reads a file-based catalog', async () => {
      const r = await airlock('catalog', 'list', '--insecure', '-o', 'json', `${reg.hostPort}/olm/fbc:v1`);
      assert.equal(r.code, 0, r.stderr);
      const l = JSON.parse(r.stdout) as { format: string; packages: unknown[] };
      assert.equal(l.format, 'fbc');
      assert.ok(l.packages.length >= 20);
    });

    it('refuses a SQLite catalog with one line naming the full bundle', async () => {
      const r = await airlock('catalog', 'list', '--insecure', `${reg.hostPort}/olm/sqlite:v1`);
      assert.notEqual(r.code, 0);
      assert.equal(r.stdout, '');
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, /^error: .*\/index\.db: this index is a SQLite catalog; reading it needs the native SQLite module of the full bundle airlock-\S+-linux-\S+\.tar\.gz/);
    });
  });
});
