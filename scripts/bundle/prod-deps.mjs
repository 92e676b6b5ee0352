// The production dependency closure of the package at `root`, as paths
// relative to root/node_modules (nested copies included), found the way
// Node resolves them: from the requiring package's directory upwards.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';

/** Install-time-only dependencies that the runtime never loads. */
const INSTALL_ONLY = new Set(['better-sqlite3>prebuild-install']);

function readJson(p) {
  return JSON.parse(readFileSync(p, 'utf8'));
}

export function prodDependencies(root) {
  const top = realpathSync(join(root, 'node_modules'));
  const found = new Map(); // relative dir -> package name
  const queue = [{ from: dirname(top), pkg: readJson(join(root, 'package.json')), name: '' }];
  while (queue.length > 0) {
    const { from, pkg, name: parent } = queue.shift();
    const deps = { ...pkg.dependencies, ...pkg.optionalDependencies };
    const optional = new Set(Object.keys(pkg.optionalDependencies ?? {}));
    for (const dep of Object.keys(deps)) {
      if (INSTALL_ONLY.has(`${parent}>${dep}`)) continue;
      const dir = resolveFrom(from, top, dep);
      if (dir === undefined) {
        if (optional.has(dep)) continue;
        throw new Error(`${parent || 'package.json'} needs ${dep}, which is not installed (run npm ci)`);
      }
      const rel = relative(top, dir);
      if (found.has(rel)) continue;
      found.set(rel, dep);
      queue.push({ from: dir, pkg: readJson(join(dir, 'package.json')), name: dep });
    }
  }
  return { top, packages: [...found.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([dir, name]) => ({ dir, name })) };
}

function resolveFrom(from, top, name) {
  const stop = dirname(top);
  for (let dir = from; ; dir = dirname(dir)) {
    if (basename(dir) !== 'node_modules') {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) return candidate;
    }
    if (dir === stop || dir === dirname(dir)) return undefined;
  }
}
