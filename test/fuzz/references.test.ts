/**
 * Properties of image names and transport references (src/reference/):
 * valid parts always parse back to themselves; anything else, structured
 * near-misses and raw strings alike, is either accepted as a name whose
 * every part is valid and which formats back to the input, or refused with
 * an InvalidReferenceError: one line, bounded length, never another error.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isDigest } from '../../src/oci/digest.js';
import { isValidRepositoryName, isValidTag } from '../../src/oci/names.js';
import { InvalidReferenceError, formatImageName, isValidRegistryHost, parseImageName, tagGlobMatcher, type ImageName } from '../../src/reference/image-name.js';
import { formatImageReference, parseImageReference, type ImageReference } from '../../src/transports/all.js';
import { checkProperty, mutatedString } from './fuzz-config.js';
import { formatParts, nameParts, tag, tagGlob, transportRef } from './reference-arbitraries.js';

/** The longest message a refusal may have: the input is cut at 200 characters, each quoted part too. */
const MAX_MESSAGE = 700;

function assertPreciseRefusal(e: unknown, input: string): void {
  assert.ok(e instanceof InvalidReferenceError, `expected InvalidReferenceError for ${JSON.stringify(input)}, got ${String(e)}`);
  assert.ok(e.message.startsWith('invalid image reference "'), e.message);
  assert.ok(!/[\r\n\u2028\u2029]/.test(e.message), `one line: ${JSON.stringify(e.message)}`);
  assert.ok(e.message.length <= MAX_MESSAGE, `bounded: ${e.message.length} characters`);
}

function assertValidName(n: ImageName, glob: boolean): void {
  assert.ok(isValidRepositoryName(n.repository), n.repository);
  if (n.registry !== undefined) assert.ok(isValidRegistryHost(n.registry), n.registry);
  if (n.tag !== undefined) assert.ok(isValidTag(glob ? n.tag.replace(/\*/g, 'a') : n.tag), n.tag);
  if (n.digest !== undefined) assert.ok(isDigest(n.digest), n.digest);
}

const nearName = mutatedString(nameParts({ glob: true }).map(formatParts));
const anyName = fc.oneof(nearName, fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ minLength: 150, maxLength: 600 }));

describe('fuzz: image names', () => {
  it('valid parts parse back to themselves and format to the same string', async () => {
    await checkProperty(
      'name round trip',
      fc.property(nameParts({ glob: true }), (parts) => {
        const s = formatParts(parts);
        const n = parseImageName(s, { allowTagGlob: true });
        assert.deepEqual({ ...n }, { ...parts });
        assert.equal(formatImageName(n), s);
      }),
      { runs: 2000, ms: 2000 },
    );
  });

  it('near-valid and random strings: a valid name that formats back to the input, or a precise refusal', async () => {
    await checkProperty(
      'name accept-or-refuse',
      fc.property(anyName, fc.boolean(), (s, glob) => {
        let n: ImageName;
        try {
          n = parseImageName(s, { allowTagGlob: glob });
        } catch (e) {
          assertPreciseRefusal(e, s);
          return;
        }
        assertValidName(n, glob);
        assert.equal(formatImageName(n), s);
        assert.deepEqual(parseImageName(formatImageName(n), { allowTagGlob: glob }), n);
      }),
      { runs: 4000, ms: 3000 },
    );
  });

  it('tag globs match exactly their expansions, and never throw on any glob', async () => {
    const expansion = fc.tuple(tagGlob, fc.array(fc.stringMatching(/^[a-zA-Z0-9._-]{0,4}$/), { minLength: 12, maxLength: 12 })).map(([g, fills]) => {
      let k = 0;
      return { glob: g, tag: g.replace(/\*/g, () => fills[k++ % fills.length]!) };
    });
    await checkProperty(
      'tag glob expansions',
      fc.property(expansion, tag, fc.string({ maxLength: 20 }), ({ glob, tag: expanded }, other, raw) => {
        const m = tagGlobMatcher(glob);
        assert.ok(m(expanded), `${glob} matches ${expanded}`);
        const literal = glob.replace(/\*/g, '');
        if (!glob.includes('*')) assert.equal(m(other), other === glob);
        assert.ok(other.length >= literal.length || !m(other), 'a match holds every literal character');
        assert.equal(typeof tagGlobMatcher(raw)(other), 'boolean');
      }),
      { runs: 3000, ms: 2000 },
    );
  });
});

function assertValidRef(r: ImageReference): void {
  if (r.transport === 'oci') {
    assert.ok(r.path !== '' && !r.path.includes(':'), r.path);
    assert.ok(r.refName === undefined || r.digest === undefined);
    if (r.digest !== undefined) assert.ok(isDigest(r.digest));
    return;
  }
  if (r.transport === 'archive') {
    assert.ok(r.repository !== '' && !r.repository.includes(':') && !r.repository.includes('@'), r.repository);
    if (r.digest !== undefined) assert.ok(isDigest(r.digest));
    return;
  }
  assertValidName(r.name, true);
  if (r.transport === 'docker') assert.ok(r.name.registry !== undefined);
}

describe('fuzz: transport references', () => {
  it('references as users write them parse and format back to the same string', async () => {
    await checkProperty(
      'transport round trip',
      fc.property(transportRef, (s) => {
        const r = parseImageReference(s, { allowTagGlob: true });
        assertValidRef(r);
        assert.equal(formatImageReference(r), s);
      }),
      { runs: 2000, ms: 2000 },
    );
  });

  it('near-valid and random references: a valid reference that re-parses to itself, or a precise refusal', async () => {
    const anyRef = fc.oneof(mutatedString(transportRef), fc.string({ maxLength: 40 }).map((s) => `oci:${s}`), fc.string({ maxLength: 40 }));
    await checkProperty(
      'transport accept-or-refuse',
      fc.property(anyRef, (s) => {
        let r: ImageReference;
        try {
          r = parseImageReference(s, { allowTagGlob: true });
        } catch (e) {
          assertPreciseRefusal(e, s);
          return;
        }
        assertValidRef(r);
        assert.deepEqual(parseImageReference(formatImageReference(r), { allowTagGlob: true }), r);
      }),
      { runs: 4000, ms: 3000 },
    );
  });
});
