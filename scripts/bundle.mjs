#!/usr/bin/env node
// npm run bundle: the two artifacts that carry airlock across an air gap.
//   dist-bundle/airlock-<version>-linux-<arch>.tar.gz (+ .sha256): built code,
//     production node_modules with the compiled better-sqlite3, install.sh,
//     BUILD-INFO and SHA256SUMS; installs with no network and no compiler.
//   dist-bundle/airlock-cli.mjs (+ .sha256): the mirroring commands in one file (esbuild),
//     no native module, for Linux, macOS and Windows with Node.js >= 20.
// Usage: node scripts/bundle.mjs [--out DIR] [--only cli|tarball]  (after npm run build)
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { prodDependencies } from './bundle/prod-deps.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const OUT = resolve(opt('--out') ?? join(ROOT, 'dist-bundle'));
const ONLY = opt('--only');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const NAME = `airlock-${pkg.version}-linux-${process.arch}`;

function fail(message) {
  process.stderr.write(`bundle: error: ${message}\n`);
  process.exit(1);
}

if (process.platform !== 'linux' && ONLY !== 'cli') fail('the full bundle is built on Linux (its native module is); use --only cli elsewhere');
if (!existsSync(join(ROOT, 'dist/src/cli/main-single.js'))) fail('dist/src is missing: run npm run build first');
mkdirSync(OUT, { recursive: true });

/** The single-file CLI. Fails when anything reaches better-sqlite3. */
async function buildCli() {
  const outfile = join(OUT, 'airlock-cli.mjs');
  const unavailable = join(ROOT, 'dist/src/catalog/sqlite-read-unavailable.js');
  const result = await build({
    entryPoints: [join(ROOT, 'dist/src/cli/main-single.js')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    metafile: true,
    legalComments: 'eof',
    logLevel: 'warning',
    // CommonJS dependencies call require() for node built-ins.
    banner: { js: "import { createRequire as __airlockRequire } from 'node:module';\nconst require = __airlockRequire(import.meta.url);" },
    plugins: [
      {
        name: 'no-native',
        setup(b) {
          b.onResolve({ filter: /\/sqlite-(read|prune)\.js$/ }, () => ({ path: unavailable }));
          b.onResolve({ filter: /^(better-sqlite3|bindings)$/ }, (a) => ({ errors: [{ text: `${a.path} (native) is imported by ${relative(ROOT, a.importer)}; the single-file CLI must not carry it` }] }));
        },
      },
    ],
  });
  const inputs = Object.keys(result.metafile.inputs);
  const native = inputs.filter((p) => /better-sqlite3|[/\\]bindings[/\\]|\.node$|[/\\]server[/\\]|[/\\]metadata[/\\]sqlite[/\\]/.test(p));
  if (native.length > 0) fail(`the single-file CLI pulled in ${native.join(', ')}`);
  writeFileSync(join(OUT, 'airlock-cli.meta.json'), JSON.stringify(result.metafile));
  chmodSync(outfile, 0o755);
  writeFileSync(`${outfile}.sha256`, `${sha256(outfile)}  airlock-cli.mjs\n`);
  console.log(`built ${relative(process.cwd(), outfile)} (${(statSync(outfile).size / 1048576).toFixed(1)} MiB, ${inputs.length} modules)`);
}

/** Highest GLIBC_x.y symbol version the compiled module asks for. */
function nativeGlibc(file) {
  let best = [0, 0];
  for (const m of readFileSync(file).toString('latin1').matchAll(/GLIBC_(\d+)\.(\d+)/g)) {
    const v = [Number(m[1]), Number(m[2])];
    if (v[0] > best[0] || (v[0] === best[0] && v[1] > best[1])) best = v;
  }
  return best.join('.');
}

function filesUnder(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

function buildTarball() {
  const glibc = process.report.getReport().header.glibcVersionRuntime;
  if (!glibc) fail('the build host has no glibc (musl?); build the bundle on a glibc distribution');
  const stageRoot = join(OUT, 'stage');
  const stage = join(stageRoot, NAME);
  rmSync(stageRoot, { recursive: true, force: true });
  const lib = join(stage, 'lib/airlock');
  mkdirSync(lib, { recursive: true });
  cpSync(join(ROOT, 'dist/src'), join(lib, 'dist/src'), { recursive: true, filter: (p) => !p.endsWith('.map') });
  if (existsSync(join(ROOT, 'dist/console'))) cpSync(join(ROOT, 'dist/console'), join(lib, 'dist/console'), { recursive: true });
  writeFileSync(join(lib, 'package.json'), `${JSON.stringify({ name: pkg.name, version: pkg.version, type: 'module', private: true, engines: pkg.engines, dependencies: pkg.dependencies }, null, 2)}\n`);
  const { top, packages } = prodDependencies(ROOT);
  for (const { dir, name } of packages) {
    const from = join(top, dir);
    const to = join(lib, 'node_modules', dir);
    if (name === 'better-sqlite3') {
      // The runtime needs lib/ and the compiled module, not the sources or objects.
      const mod = join(from, 'build/Release/better_sqlite3.node');
      if (!existsSync(mod)) fail(`${mod} is missing: better-sqlite3 was not built (npm ci needs python3, make and g++ when no prebuilt module is available)`);
      cpSync(join(from, 'lib'), join(to, 'lib'), { recursive: true });
      for (const f of ['package.json', 'LICENSE']) copyFileSync(join(from, f), join(to, f));
      mkdirSync(join(to, 'build/Release'), { recursive: true });
      copyFileSync(mod, join(to, 'build/Release/better_sqlite3.node'));
      continue;
    }
    cpSync(from, to, { recursive: true, dereference: true, filter: (p) => relative(from, p).split(/[/\\]/)[0] !== 'node_modules' });
  }
  const nodeModule = join(lib, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');
  const info = {
    version: pkg.version,
    arch: process.arch,
    node: process.versions.node,
    node_abi: process.versions.modules,
    glibc,
    native_glibc: nativeGlibc(nodeModule),
    built: new Date().toISOString(),
  };
  writeFileSync(join(stage, 'BUILD-INFO'), Object.entries(info).map(([k, v]) => `${k}=${v}\n`).join(''));
  copyFileSync(join(ROOT, 'scripts/bundle/install.sh'), join(stage, 'install.sh'));
  chmodSync(join(stage, 'install.sh'), 0o755);
  const files = filesUnder(stage).map((f) => relative(stage, f)).sort();
  writeFileSync(join(stage, 'SHA256SUMS'), files.map((f) => `${sha256(join(stage, f))}  ${f}\n`).join(''));
  const archive = join(OUT, `${NAME}.tar.gz`);
  const tar = spawnSync('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '-czf', archive, '-C', stageRoot, NAME], { stdio: 'inherit' });
  if (tar.status !== 0) fail('tar failed');
  writeFileSync(`${archive}.sha256`, `${sha256(archive)}  ${NAME}.tar.gz\n`);
  rmSync(stageRoot, { recursive: true, force: true });
  console.log(`built ${relative(process.cwd(), archive)} (${(statSync(archive).size / 1048576).toFixed(1)} MiB, ${files.length} files, glibc ${glibc}, native module needs glibc ${info.native_glibc})`);
}

if (ONLY !== 'tarball') await buildCli();
if (ONLY !== 'cli') buildTarball();
