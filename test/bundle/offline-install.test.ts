/**
 * Both artifacts of `npm run bundle` cross a simulated air gap: inside a
 * network namespace that has only loopback, the tarball is verified and
 * installed with install.sh into a temporary prefix, the installed
 * `airlock serve` runs, and the single-file CLI (`node airlock-cli.mjs`)
 * mirrors a `file://` store into it with `--from-dir`. The served digests
 * are then read back from inside the namespace.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFixtures, type FixtureSet } from '../fixtures/make-fixtures.js';
import { childEnv, runAirlockCli } from '../helpers/airlock-process.js';
import { buildBundle, createNamespace, netnsSkip, run, type Bundle, type Namespace } from './support.js';

const skip = netnsSkip();
const PORT = 5000;
const TAGS = { multi: 'multi-v1', small: 'small-00-v1', docker: 'docker-v1' } as const;

describe('offline bundle in a loopback-only network namespace', { skip }, () => {
  let work: string;
  let bundle: Bundle;
  let fx: FixtureSet;
  let ns: Namespace;
  let server: ChildProcess | undefined;
  let serverLog = '';
  const media = (): string => join(work, 'media');
  const inNs = (argv: string[], timeoutMs = 120_000) => run('ip', ns.exec(...argv), { cwd: work, env: { HOME: work }, timeoutMs });
  const digestOf = (ref: string): string => fx.images.find((i) => i.ref === ref)!.digest;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-offline-'));
    [bundle, fx] = await Promise.all([buildBundle(), makeFixtures(join(work, 'fixtures'), { smallCount: 1 })]);
    // The file:// store, made outside the namespace with the in-tree CLI.
    for (const [tag, ref] of Object.entries(TAGS)) {
      const r = await runAirlockCli(['image', 'mirror', `--dir=${media()}`, `oci:${fx.layout}:${ref}`, `file://bundle/app:${tag}`], { cwd: work, env: { HOME: work }, timeoutMs: 120_000 });
      assert.equal(r.code, 0, r.stderr);
    }
    ns = createNamespace();
  });

  after(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server!.once('close', r));
    }
    ns?.remove();
    await Promise.all([work && rm(work, { recursive: true, force: true }), bundle && rm(bundle.dir, { recursive: true, force: true })]);
  });

  it('the namespace has loopback only: no other link, no route out', async () => {
    const links = await inNs(['ip', '-o', 'link']);
    assert.equal(links.code, 0, links.stderr);
    assert.deepEqual(links.stdout.trim().split('\n').map((l) => l.split(':')[1]!.trim()), ['lo']);
    const route = await inNs(['ip', 'route', 'get', '1.1.1.1']);
    assert.notEqual(route.code, 0, 'no route to the outside');
  });

  it('verifies and installs the tarball with install.sh, no network needed', async () => {
    const sums = await run('sha256sum', ['-c', `${bundle.name}.tar.gz.sha256`], { cwd: bundle.dir });
    assert.equal(sums.code, 0, sums.stderr);
    const unpack = join(work, 'unpack');
    await mkdir(unpack);
    const tar = await inNs(['tar', '-xzf', bundle.tarball, '-C', unpack]);
    assert.equal(tar.code, 0, tar.stderr);
    const prefix = join(work, 'prefix');
    const units = join(work, 'units');
    const r = await inNs([join(unpack, bundle.name, 'install.sh'), '--prefix', prefix, '--systemd', '--systemd-dir', units, '--data-dir', '/srv/airlock', '--listen', '0.0.0.0:5000']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'no warnings on the build host itself');
    assert.match(r.stdout, new RegExp(`installed airlock ${bundle.version.replace(/\./g, '\\.')}: ${prefix}/bin/airlock`));
    const unit = await readFile(join(units, 'airlock.service'), 'utf8');
    assert.match(unit, new RegExp(`^ExecStart="[^"]+/node" "${prefix}/lib/airlock/dist/src/cli/main\\.js" serve --listen "0\\.0\\.0\\.0:5000" --data-dir "/srv/airlock"$`, 'm'));
    assert.doesNotMatch(unit, /StateDirectory/, 'a custom data dir is not systemd\'s state directory');
    const version = await inNs([join(prefix, 'bin/airlock'), '--version']);
    assert.equal(version.stdout.trim(), bundle.version, version.stderr);
  });

  it('runs the installed `airlock serve` and mirrors the file:// store into it with the single-file CLI', async () => {
    const prefix = join(work, 'prefix');
    const cliDir = join(work, 'cli');
    await mkdir(cliDir);
    const cli = join(cliDir, 'airlock-cli.mjs');
    await copyFile(bundle.cli, cli);
    const data = join(work, 'data');
    server = spawn('ip', ns.exec(join(prefix, 'bin/airlock'), 'serve', '--insecure-http', '--listen', `127.0.0.1:${PORT}`, '--data-dir', data, '--log-level', 'warn'), { cwd: work, env: childEnv({ HOME: work }), stdio: ['ignore', 'pipe', 'pipe'] });
    const listening = new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer): void => {
        serverLog += d.toString();
        if (serverLog.includes(`listening on http://127.0.0.1:${PORT}`)) resolve();
      };
      server!.stdout!.on('data', onData);
      server!.stderr!.on('data', onData);
      server!.once('close', (code) => reject(new Error(`serve exited ${code}: ${serverLog}`)));
      setTimeout(() => reject(new Error(`serve did not listen within 30 s: ${serverLog}`)), 30_000).unref();
    });
    await listening;
    const dst = `127.0.0.1:${PORT}/mirrored/app`;
    const r = await inNs([process.execPath, cli, 'image', 'mirror', '--insecure', `--from-dir=${media()}`, 'file://bundle/app:*', dst]);
    assert.equal(r.code, 0, `${r.stderr}\n${serverLog}`);
    const want = Object.entries(TAGS).map(([tag, ref]) => `${digestOf(ref)} ${dst}:${tag}`).sort();
    assert.deepEqual(r.stdout.trim().split('\n').sort(), want);
    // Read back from inside the namespace: the registry serves each tag at the source digest.
    const probe = `const tags=${JSON.stringify(Object.keys(TAGS))};const out={};for(const t of tags){const r=await fetch('http://127.0.0.1:${PORT}/v2/mirrored/app/manifests/'+t,{method:'HEAD',headers:{accept:'application/vnd.oci.image.index.v1+json,application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json,application/vnd.docker.distribution.manifest.list.v2+json'}});out[t]=r.status+' '+r.headers.get('docker-content-digest')}console.log(JSON.stringify(out))`;
    const served = await inNs([process.execPath, '--input-type=module', '-e', probe]);
    assert.equal(served.code, 0, served.stderr);
    assert.deepEqual(JSON.parse(served.stdout), Object.fromEntries(Object.entries(TAGS).map(([t, ref]) => [t, `200 ${digestOf(ref)}`])));
  });
});
