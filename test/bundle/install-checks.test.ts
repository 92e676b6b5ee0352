/**
 * install.sh's checks, each driven by a stand-in tool earlier on PATH (a
 * `node` that reports another version, architecture or ABI; a `getconf` and
 * `ldd` reporting an older glibc) or by a tampered file: every refusal is one
 * line naming what to do, and a glibc or ABI the native module cannot load
 * with is a warning that still installs the mirroring commands.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundle, run, type Bundle } from './support.js';

describe('install.sh checks', () => {
  let bundle: Bundle;
  let work: string;
  let unpacked: string;
  let n = 0;
  let info: Record<string, string>;

  /** A directory of stand-in tools, put first on PATH. */
  async function fakeTools(tools: Record<string, string>): Promise<string> {
    const d = join(work, `bin-${n++}`);
    await mkdir(d);
    for (const [name, body] of Object.entries(tools)) {
      await writeFile(join(d, name), `#!/bin/sh\n${body}\n`);
      await chmod(join(d, name), 0o755);
    }
    return d;
  }
  /** A `node` that answers install.sh's three questions, else runs the real node. */
  const fakeNode = (version: string, arch: string, abi: string): string =>
    `case "$*" in *process.versions.node*) echo ${version};; *process.arch*) echo ${arch};; *process.versions.modules*) echo ${abi};; *) exec ${process.execPath} "$@";; esac`;
  async function install(dir: string, extraPath?: string, ...args: string[]) {
    const prefix = join(work, `prefix-${n++}`);
    const env: Record<string, string> = extraPath ? { PATH: `${extraPath}:${process.env.PATH}` } : {};
    const r = await run(join(dir, 'install.sh'), ['--prefix', prefix, ...args], { env });
    return { ...r, prefix };
  }

  before(async () => {
    bundle = await buildBundle();
    work = await mkdtemp(join(tmpdir(), 'airlock-install-'));
    const tar = await run('tar', ['-xzf', bundle.tarball, '-C', work]);
    assert.equal(tar.code, 0, tar.stderr);
    unpacked = join(work, bundle.name);
    info = Object.fromEntries((await readFile(join(unpacked, 'BUILD-INFO'), 'utf8')).trim().split('\n').map((l) => l.split('=', 2) as [string, string]));
  });
  after(async () => {
    await Promise.all([work && rm(work, { recursive: true, force: true }), bundle && rm(bundle.dir, { recursive: true, force: true })]);
  });

  it('BUILD-INFO records the build host: version, arch, Node ABI, glibc and what the native module needs', () => {
    assert.equal(info.version, bundle.version);
    assert.equal(info.arch, process.arch);
    assert.equal(info.node_abi, process.versions.modules);
    assert.equal(info.glibc, (process.report.getReport() as { header: { glibcVersionRuntime: string } }).header.glibcVersionRuntime);
    assert.match(info.native_glibc!, /^2\.\d+$/);
  });

  it('SHA256SUMS covers every file of the archive but itself', async () => {
    const listed = await run('tar', ['-tzf', bundle.tarball]);
    const files = listed.stdout.split('\n').filter((l) => l && !l.endsWith('/')).map((l) => l.slice(bundle.name.length + 1)).sort();
    const sums = (await readFile(join(unpacked, 'SHA256SUMS'), 'utf8')).trim().split('\n').map((l) => l.slice(66)).sort();
    assert.deepEqual(sums, files.filter((f) => f !== 'SHA256SUMS'));
    assert.ok(sums.includes('lib/airlock/node_modules/better-sqlite3/build/Release/better_sqlite3.node'));
  });

  it('installs with no warning on the build host: the wrapper runs, the copied native module loads', async () => {
    const r = await install(unpacked);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const wrapper = join(r.prefix, 'bin/airlock');
    assert.equal(((await stat(wrapper)).mode & 0o777).toString(8), '755');
    const v = await run(wrapper, ['--version']);
    assert.equal(v.stdout.trim(), bundle.version, v.stderr);
    const lib = join(r.prefix, 'lib/airlock/package.json');
    const probe = `const D=require('module').createRequire(${JSON.stringify(lib)})('better-sqlite3');console.log(new D(':memory:').prepare('select 6*7 as v').get().v)`;
    const sqlite = await run(process.execPath, ['-e', probe], { cwd: work });
    assert.equal(sqlite.stdout.trim(), '42', sqlite.stderr);
  });

  it('refuses Node.js < 20 with one line', async () => {
    const r = await install(unpacked, await fakeTools({ node: fakeNode('18.19.1', process.arch, '108') }));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^install\.sh: error: Node\.js >= 20 is required; \S+\/node is 18\.19\.1\n$/);
  });

  it('refuses another architecture, naming the right archive', async () => {
    const other = process.arch === 'arm64' ? 'x64' : 'arm64';
    const r = await install(unpacked, await fakeTools({ node: fakeNode('20.11.0', other, info.node_abi!) }));
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `install.sh: error: this bundle is for ${process.arch}; this host is ${other}: use airlock-${bundle.version}-linux-${other}.tar.gz\n`);
  });

  it('reports a glibc lower than the native module needs, and still installs the mirroring commands', async () => {
    const tools = await fakeTools({ getconf: 'echo "glibc 2.17"', ldd: 'echo "ldd (GNU libc) 2.17"' });
    const r = await install(unpacked, tools);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`warning: this host has glibc 2\\.17, lower than the ${info.native_glibc!.replace('.', '\\.')} the native SQLite module needs \\(built on glibc ${info.glibc!.replace('.', '\\.')}\\): it will not load, so airlock serve, user, robot, gc and cert will fail; the mirroring commands .* work`));
    assert.ok((await stat(join(r.prefix, 'bin/airlock'))).isFile());
  });

  it('falls back to ldd when getconf has no GNU_LIBC_VERSION', async () => {
    const r = await install(unpacked, await fakeTools({ getconf: 'exit 1', ldd: 'echo "ldd (Debian GLIBC 2.19-18) 2.19"; echo "Copyright"' }));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /this host has glibc 2\.19, lower than/);
  });

  it('warns when the Node ABI differs from the one the module was built for', async () => {
    const r = await install(unpacked, await fakeTools({ node: fakeNode('22.3.0', process.arch, '127') }));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`warning: the native SQLite module was built for Node\\.js ${process.versions.node.replace(/\./g, '\\.')} \\(ABI ${info.node_abi}\\); this host has Node\\.js 22\\.3\\.0 \\(ABI 127\\)`));
  });

  it('refuses a bundle whose files do not match SHA256SUMS', async () => {
    const copy = join(work, 'tampered');
    await mkdir(copy);
    const tar = await run('tar', ['-xzf', bundle.tarball, '-C', copy]);
    assert.equal(tar.code, 0, tar.stderr);
    const dir = join(copy, bundle.name);
    await appendFile(join(dir, 'lib/airlock/dist/src/cli/main.js'), '\n// changed\n');
    const r = await install(dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /install\.sh: error: the bundle does not match SHA256SUMS: unpack it again from a verified archive\n$/);
    assert.match(r.stderr, /main\.js: FAILED/);
  });

  it('rejects an unknown option and a flag without its value', async () => {
    const r = await install(unpacked, undefined, '--prefx');
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'install.sh: error: unknown option --prefx (see --help)\n');
    const v = await run(join(unpacked, 'install.sh'), ['--prefix']);
    assert.equal(v.stderr, 'install.sh: error: --prefix needs a value\n');
  });
});
