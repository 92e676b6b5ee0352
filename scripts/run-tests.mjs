#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with node's test runner.
// Usage: node scripts/run-tests.mjs [substring-filter ...]
// Peer-interop tests skip themselves (with a visible reason) only when
// AIRLOCK_REQUIRE_PEERS is unset; CI sets it so a missing peer is a failure.
// The TAP stream passes through unchanged; at the end, every failed test (not
// the TODO ones) is listed again with its file and first error lines, so the
// tail of a CI log names what failed.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

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

const child = spawn(process.execPath, ['--expose-gc', '--test', '--test-concurrency=2', ...files], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const failures = [];
let current = null; // the failure whose YAML block is being read
let inError = false;
const lines = createInterface({ input: child.stdout });
lines.on('line', (line) => {
  process.stdout.write(line + '\n');
  const m = /^\s*not ok \d+ - (.*)$/.exec(line);
  if (m && !/# (TODO|SKIP)\b/.test(m[1])) {
    current = { name: m[1], type: '', detail: [] };
    failures.push(current);
    inError = false;
    return;
  }
  if (!current) return;
  const t = line.trim();
  if (t === '...') {
    current = null;
    return;
  }
  const key = /^([a-zA-Z]+):/.exec(t)?.[1];
  if (key === 'failureType') current.type = t.slice('failureType:'.length).trim().replace(/'/g, '');
  if (key) inError = key === 'error';
  if ((key === 'location' || inError) && current.detail.length < 8) current.detail.push(t);
});
child.on('close', (code, signal) => {
  // A failed file or suite only repeats its failed subtests ("subtestsFailed").
  const leaves = failures.filter((f) => f.type !== 'subtestsFailed');
  if (leaves.length > 0) {
    process.stdout.write(`\n=== failed tests (${leaves.length})\n`);
    for (const f of leaves) {
      process.stdout.write(`  ✗ ${f.name}\n`);
      for (const d of f.detail) process.stdout.write(`      ${d}\n`);
    }
  }
  process.exit(code ?? (signal ? 1 : 0));
});
