#!/usr/bin/env node
/**
 * Builds the console (src/console/, Preact + TSX) into dist/console/:
 * console.js (one minified ES module bundle, no external imports),
 * console.css and index.html, served by the UI plugin. Runs as part of
 * `npm run build` (and `prepare`, so a fresh `npm ci` has it). Nothing is
 * fetched: esbuild bundles from node_modules.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src', 'console');
const out = join(root, 'dist', 'console');

await mkdir(out, { recursive: true });
await build({
  entryPoints: [join(src, 'main.tsx')],
  outfile: join(out, 'console.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});
await copyFile(join(src, 'index.html'), join(out, 'index.html'));
await copyFile(join(src, 'console.css'), join(out, 'console.css'));
