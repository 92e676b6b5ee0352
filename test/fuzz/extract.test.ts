/**
 * Properties of `image extract` (src/extract/) over hostile layers: images
 * of 1-3 generated layers (test/fixtures/raw-tar.ts, extract-arbitraries.ts) in an OCI
 * layout, extracted in-process into one or two target directories inside a
 * fresh sandbox that also holds a victim directory and the layout. For every
 * image, whatever the options:
 *
 * - nothing outside the targets changes (the sandbox is listed, with file
 *   contents and link targets, before and after);
 * - a refusal is one of the module's errors or a tar/gzip format error, and
 *   leaves every target exactly as it was (nothing partial, no staging left);
 * - after success, every link written is relative and stays inside its
 *   target, on paper and (when the target held nothing before) on disk.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import fc from 'fast-check';
import { ExtractError, ExtractUsageError } from '../../src/extract/errors.js';
import { extractImage } from '../../src/extract/extract-image.js';
import { UnsafeTarEntryError } from '../../src/extract/layer-tar.js';
import { PathSelector } from '../../src/extract/path-select.js';
import { STAGING_PREFIX } from '../../src/extract/staging.js';
import { digestOf } from '../../src/oci/digest.js';
import { parseImageReference } from '../../src/transports/all.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { layoutImage } from '../extract/support.js';
import { checkProperty } from './fuzz-config.js';
import { genLayer, layerBytes } from './extract-arbitraries.js';

/** Messages of tar-stream and zlib for archives that are not tar or not gzip. */
const FORMAT_ERRORS = /^(Invalid tar header|Invalid header|Unexpected end of data|Header exceeds max size|unexpected end of file|incorrect header check|invalid (block type|distance|stored block|code|literal)|too many length|Premature close|layer sha256:[0-9a-f]{64}: zstd-compressed layers are not supported)/;

/** Every path under `dir` with what it is: type, mode, content digest or link target. Directories made readable first. */
async function listing(dir: string, skip: (rel: string) => boolean = () => false, rel = ''): Promise<string[]> {
  const out: string[] = [];
  const here = join(dir, rel);
  await chmod(here, 0o755).catch(() => undefined);
  for (const name of (await readdir(here)).sort()) {
    const r = rel === '' ? name : `${rel}/${name}`;
    const p = join(dir, r);
    const st = await lstat(p);
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isSymbolicLink()) out.push(`${r} -> ${await readlink(p)}`);
    else if (st.isDirectory()) out.push(`${r}/ ${mode}`, ...(skip(r) ? [] : await listing(dir, skip, r)));
    else if (st.isFile()) out.push(`${r} ${mode} ${createHash('sha256').update(await readFile(p)).digest('hex').slice(0, 16)}`);
    else out.push(`${r} special`);
  }
  return out;
}

const inside = (root: string, p: string): boolean => p === root || p.startsWith(root + sep);

interface Run {
  readonly layers: Parameters<typeof layerBytes>[0][];
  readonly selectors: readonly string[];
  readonly prePopulated: boolean;
  readonly onlyFiles: boolean;
  readonly preserveOwnership: boolean;
  readonly dryRun: boolean;
}

const run: fc.Arbitrary<Run> = fc.record({
  layers: fc.array(genLayer, { minLength: 1, maxLength: 3 }),
  selectors: fc.array(fc.constantFrom('/', '/', '/a/', '/a', '/a*', '/b/c/', '/pre', '/usr/bin/'), { minLength: 1, maxLength: 2 }),
  prePopulated: fc.boolean(),
  onlyFiles: fc.boolean(),
  preserveOwnership: fc.boolean(),
  dryRun: fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});

describe('fuzz: image extract of hostile layers', () => {
  let work: string;
  const hub = new RegistryHub({ insecure: () => true });
  let n = 0;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-fuzz-extract-'));
  });
  after(async () => {
    await hub.close();
    if (work) {
      await listing(work).catch(() => undefined);
      await rm(work, { recursive: true, force: true });
    }
  });

  it('never writes outside the targets; refuses precisely and leaves them as they were; links stay inside', async (t) => {
    const outcomes = new Map<string, number>();
    const count = (k: string): void => void outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
    await checkProperty(
      'extract hostile layers',
      fc.asyncProperty(run, async (r) => {
        const sandbox = join(work, `s${++n}`);
        await mkdir(join(sandbox, 'victim'), { recursive: true });
        await writeFile(join(sandbox, 'victim', 'keep'), 'keep\n');
        await writeFile(join(sandbox, 'victim-file'), 'victim\n');
        const blobs = r.layers.map((l) => layerBytes(l, sandbox));
        await layoutImage(join(sandbox, 'layout'), 'img', blobs.map((blob) => ({ blob, digest: digestOf(blob), diffId: digestOf(blob) })));
        const outs = r.selectors.map((_, i) => join(sandbox, `out${i}`));
        for (const o of outs) await mkdir(o);
        if (r.prePopulated) {
          await symlink('../victim', join(outs[0]!, 'pre'));
          await symlink('../victim', join(outs[0]!, 'a'));
          await writeFile(join(outs[0]!, 'b'), 'mine\n');
        }
        const isOut = (rel: string): boolean => /^out\d$/.test(rel);
        const sandboxBefore = await listing(sandbox, isOut);
        const outsBefore = await Promise.all(outs.map((o) => listing(o)));
        const targets = await Promise.all(r.selectors.map(async (s, i) => ({ arg: `--path ${s}:${outs[i]}`, selector: new PathSelector(s), to: await realpath(outs[i]!) })));
        const what = `selectors ${r.selectors.join(' ')}${r.prePopulated ? ', pre-populated' : ''}${r.onlyFiles ? ', --only-files' : ''}${r.preserveOwnership ? ', -p' : ''}${r.dryRun ? ', --dry-run' : ''}`;
        let error: unknown;
        try {
          await extractImage({
            env: { registries: hub },
            ref: parseImageReference(`oci:${join(sandbox, 'layout')}:img`),
            targets,
            onlyFiles: r.onlyFiles,
            preserveOwnership: r.preserveOwnership,
            dryRun: r.dryRun,
            warn: () => undefined,
          });
        } catch (e) {
          error = e;
        }
        assert.deepEqual(await listing(sandbox, isOut), sandboxBefore, `${what}: nothing outside the targets changed`);
        const outsAfter = await Promise.all(outs.map((o) => listing(o)));
        if (error !== undefined || r.dryRun) {
          count(error === undefined ? 'dry run' : `${(error as Error).constructor.name} ${(error as Error).message.replace(/sha256:[0-9a-f]+/g, '').slice(0, 50)}`);
          if (error !== undefined) {
            const e = error as Error & { code?: string };
            const ours = e instanceof UnsafeTarEntryError || e instanceof ExtractError || e instanceof ExtractUsageError;
            assert.ok(ours || FORMAT_ERRORS.test(e.message), `${what}: a precise error, got ${e.constructor.name} ${e.code ?? ''}: ${e.message}\n${e.stack}`);
            assert.ok(e.message !== '' && !e.message.startsWith('internal:'), `${what}: ${e.message}`);
          }
          assert.deepEqual(outsAfter, outsBefore, `${what}: refused (${(error as Error | undefined)?.message ?? 'dry run'}), the targets are as they were`);
          await rm(sandbox, { recursive: true, force: true });
          return;
        }
        count('extracted');
        for (const [i, o] of outs.entries()) {
          const root = await realpath(o);
          assert.ok(!outsAfter[i]!.some((l) => l.startsWith(STAGING_PREFIX)), `${what}: no staging directory left in ${o}`);
          for (const line of outsAfter[i]!) {
            const m = / -> (.*)$/.exec(line);
            if (!m || (r.prePopulated && outsBefore[i]!.includes(line))) continue;
            const link = line.slice(0, line.length - m[0].length);
            const target = m[1]!;
            assert.ok(!target.startsWith('/'), `${what}: link ${link} -> ${target} is relative`);
            assert.ok(inside(root, resolve(dirname(join(root, link)), target)), `${what}: link ${link} -> ${target} stays inside on paper`);
            if (!r.prePopulated) {
              const real = await realpath(join(root, link)).catch(() => undefined);
              if (real !== undefined) assert.ok(inside(root, real), `${what}: link ${link} -> ${target} resolves inside (${real})`);
            }
          }
        }
        await rm(sandbox, { recursive: true, force: true });
      }),
      { runs: 250, ms: 8000 },
    );
    t.diagnostic(`outcomes: ${[...outcomes].map(([k, v]) => `${k} ${v}`).join(' | ')}`);
  });
});
