/**
 * Properties of `oc image mirror` mapping files and arguments
 * (src/copy/mappings.ts): a file of valid lines, comments, blank lines and
 * mixed line endings yields one mapping per mapping line with the right
 * `file:line`; a bad line anywhere fails with a MappingError naming that
 * line; random text never fails with anything else, and every message is one
 * line naming a line of the file.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MappingError, mappingsFromArgs, mappingsFromFile } from '../../src/copy/mappings.js';
import { formatImageReference } from '../../src/transports/all.js';
import { SPECIAL_CHARS, checkProperty, mutatedString } from './fuzz-config.js';
import { digest, registryHost, repository, tag, tagGlob } from './reference-arbitraries.js';

interface Line {
  /** The line's text, without its line ending. */
  readonly text: string;
  /** Source and destinations as they format back, when the line is a mapping. */
  readonly mapping?: readonly string[];
}

/** A valid mapping: a pinned source into other places (never the source itself). */
const mappingLine: fc.Arbitrary<Line> = fc
  .record({
    host: registryHost,
    repo: repository,
    pin: fc.oneof(tag.map((t) => `:${t}`), digest.map((d) => `@${d}`), tagGlob.filter((g) => g.includes('*')).map((g) => `:${g}`)),
    dsts: fc.array(fc.oneof(fc.tuple(registryHost, repository, fc.option(tag, { nil: undefined })), fc.constantFrom('oci:/tmp/out', 'file://dst/x')), { minLength: 1, maxLength: 3 }),
    form: fc.constantFrom('spaces', 'equals'),
    pad: fc.constantFrom('', ' ', '\t', '  '),
    comment: fc.option(fc.string({ maxLength: 12 }).filter((s) => !/[\r\n]/.test(s)), { nil: undefined }),
  })
  .map((g) => {
    const glob = g.pin.includes('*');
    const src = `${g.host}/${g.repo}${g.pin}`;
    let dsts = g.dsts.map((d) => (typeof d === 'string' ? d : `${d[0]}/dst/${d[1]}${d[2] !== undefined && !glob ? `:${d[2]}` : ''}`));
    if (g.form === 'equals') dsts = dsts.slice(0, 1);
    const body = g.form === 'equals' ? `${src}=${dsts[0]}` : [src, ...dsts].join(g.pad === '' ? ' ' : g.pad);
    return { text: `${g.pad}${body}${g.pad}${g.comment === undefined ? '' : ` #${g.comment}`}`, mapping: [src, ...dsts] };
  });

const otherLine: fc.Arbitrary<Line> = fc.oneof(
  fc.constant({ text: '' }),
  fc.constantFrom(' ', '\t', '   ').map((text) => ({ text })),
  fc.string({ maxLength: 20 }).filter((s) => !/[\r\n]/.test(s)).map((s) => ({ text: `#${s}` })),
  fc.string({ maxLength: 20 }).filter((s) => !/[\r\n]/.test(s)).map((s) => ({ text: `  # ${s}` })),
);

const lines = fc.array(fc.oneof(mappingLine, otherLine), { maxLength: 12 });
const endings = fc.array(fc.constantFrom('\n', '\r\n'), { minLength: 12, maxLength: 12 });

const join = (ls: readonly Line[], ends: readonly string[]): string => ls.map((l, i) => l.text + (i < ls.length - 1 ? ends[i]! : '')).join('');

const formatted = (ms: ReturnType<typeof mappingsFromFile>): string[][] => ms.map((m) => [formatImageReference(m.source), ...m.destinations.map(formatImageReference)]);

function assertPreciseError(e: unknown, name: string, lineCount: number): number {
  assert.ok(e instanceof MappingError, `expected a MappingError, got ${String(e)}`);
  const m = new RegExp(`^${name.replace(/\./g, '\\.')}:(\\d+): `).exec(e.message);
  assert.ok(m, `names the file and line: ${JSON.stringify(e.message)}`);
  const line = Number(m[1]);
  assert.ok(line >= 1 && line <= lineCount, `line ${line} of ${lineCount}`);
  assert.ok(!/[\r\n\u2028\u2029]/.test(e.message), `one line: ${JSON.stringify(e.message)}`);
  assert.ok(e.message.length < 1200, `bounded: ${e.message.length} characters`);
  return line;
}

describe('fuzz: mapping files', () => {
  it('valid lines, comments and blank lines: one mapping per mapping line, with its file:line', async () => {
    await checkProperty(
      'mapping file lines',
      fc.property(lines, endings, (ls, ends) => {
        const ms = mappingsFromFile('map.txt', join(ls, ends));
        const want = ls.flatMap((l, i) => (l.mapping ? [{ refs: l.mapping, origin: `map.txt:${i + 1}` }] : []));
        assert.deepEqual(formatted(ms), want.map((w) => [...w.refs]));
        assert.deepEqual(ms.map((m) => m.origin), want.map((w) => w.origin));
      }),
      { runs: 1500, ms: 3000 },
    );
  });

  it('one mutated line among valid ones: accepted as a mapping, or a MappingError naming exactly that line', async () => {
    const mutated = mutatedString(mappingLine.map((l) => l.text));
    await checkProperty(
      'mapping file bad line',
      fc.property(lines, mutated, fc.nat(), endings, (ls, bad, at, ends) => {
        const k = ls.length === 0 ? 0 : at % (ls.length + 1);
        // the mutation may add line breaks: the bad text then spans several lines, all after line k
        const badLines = bad.split(/\r?\n/);
        const all: Line[] = [...ls.slice(0, k), ...badLines.map((text) => ({ text })), ...ls.slice(k)];
        const text = join(all, [...ends, ...ends, ...ends]);
        let ms;
        try {
          ms = mappingsFromFile('map.txt', text);
        } catch (e) {
          const line = assertPreciseError(e, 'map.txt', all.length);
          assert.ok(line > k && line <= k + badLines.length, `the error is on the mutated line (${k + 1}..${k + badLines.length}): ${(e as Error).message}`);
          return;
        }
        const valid = all.flatMap((l, i) => (l.mapping ? [`map.txt:${i + 1}`] : []));
        const origins = ms.map((m) => m.origin);
        assert.deepEqual(origins.filter((o) => valid.includes(o)), valid, 'every valid line is still read');
        for (const o of origins.filter((x) => !valid.includes(x))) {
          const n = Number(o.split(':')[1]);
          assert.ok(n > k && n <= k + badLines.length, `extra mapping ${o} came from the mutated line`);
        }
      }),
      { runs: 2000, ms: 3000 },
    );
  });

  it('random text: mappings, or a one-line MappingError naming a line of the file', async () => {
    const text = fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), fc.array(fc.oneof(mappingLine.map((l) => l.text), fc.string({ maxLength: 30 })), { maxLength: 6 }).map((ls) => ls.join('\n')));
    await checkProperty(
      'mapping file random text',
      fc.property(text, (t) => {
        try {
          mappingsFromFile('m.txt', t);
        } catch (e) {
          assertPreciseError(e, 'm.txt', t.split(/\r?\n/).length);
        }
      }),
      { runs: 3000, ms: 2000 },
    );
  });

  it('random arguments: mappings, or a one-line MappingError', async () => {
    const ref = mappingLine.map((l) => l.text.trim().split(/\s+/)[0]!);
    const arg = fc.oneof(mutatedString(ref), ref, fc.string({ maxLength: 30 }), fc.string({ unit: fc.constantFrom(...SPECIAL_CHARS, 'a', 'b'), maxLength: 8 }).map((s) => `oci:${s}`), mutatedString(fc.constant('file://a/b:v1=oci:/x')));
    await checkProperty(
      'mapping arguments',
      fc.property(fc.array(arg, { maxLength: 4 }), (args) => {
        try {
          const ms = mappingsFromArgs(args);
          for (const m of ms) assert.ok(m.destinations.length >= 1);
        } catch (e) {
          assert.ok(e instanceof MappingError, `expected a MappingError, got ${String(e)}`);
          assert.ok(!/[\r\n\u2028\u2029]/.test(e.message), `one line: ${JSON.stringify(e.message)}`);
        }
      }),
      { runs: 3000, ms: 2000 },
    );
  });
});
