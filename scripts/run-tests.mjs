#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with node's test runner.
// Usage: node scripts/run-tests.mjs [substring-filter ...]
// Peer-interop tests skip themselves (with a visible reason) only when
// AIRLOCK_REQUIRE_PEERS is unset; CI sets it so a missing peer is a failure.
// The usual reporter (spec on a terminal, TAP otherwise) runs unchanged; next to
// it, scripts/failed-tests-reporter.mjs lists every failed test again at the end.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = walk('dist/test').filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort();
if (files.length === 0) {
  console.error('no test files found under dist/test (did the build run?)');
  process.exit(1);
}

const reporters = [
  `--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`, '--test-reporter-destination=stdout',
  `--test-reporter=${new URL('./failed-tests-reporter.mjs', import.meta.url).href}`, '--test-reporter-destination=stdout',
];
const res = spawnSync(process.execPath, ['--expose-gc', '--test', '--test-concurrency=2', ...reporters, ...files], { stdio: 'inherit' });
process.exit(res.status ?? 1);
