import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { findDuplicateKey } from '../../src/util/json-duplicate-keys.js';

describe('findDuplicateKey', () => {
  it('finds nothing when every object has distinct keys, nested or not', () => {
    assert.equal(findDuplicateKey('{}'), undefined);
    assert.equal(findDuplicateKey('[]'), undefined);
    assert.equal(findDuplicateKey('"a"'), undefined);
    assert.equal(findDuplicateKey('{"a":1,"b":{"a":2,"b":[{"a":3},{"a":4}]}}'), undefined);
    // The same key in sibling objects of an array, and in a parent and child, is fine.
    assert.equal(findDuplicateKey('[{"digest":"x"},{"digest":"y"}]'), undefined);
  });

  it('reports the second occurrence of a top-level key with its 1-based line and column', () => {
    const text = '{\n  "schemaVersion": 2,\n  "schemaVersion": 3\n}';
    assert.deepEqual(findDuplicateKey(text), { key: 'schemaVersion', line: 3, column: 3 });
  });

  it('reports a duplicate inside a descriptor nested in an array', () => {
    const text = ['{', '  "layers": [', '    {', '      "digest": "sha256:aa",', '      "digest": "sha256:bb"', '    }', '  ]', '}'].join('\n');
    assert.deepEqual(findDuplicateKey(text), { key: 'digest', line: 5, column: 7 });
  });

  it('compares decoded keys, so an escaped spelling of the same key is a duplicate', () => {
    assert.deepEqual(findDuplicateKey('{"size":1,"\\u0073ize":2}'), { key: 'size', line: 1, column: 11 });
  });

  it('is not fooled by strings holding quotes, braces, commas, colons or backslashes', () => {
    assert.equal(findDuplicateKey('{"a":"{\\"a\\":1,","b":"\\\\","c":"}"}'), undefined);
    assert.equal(findDuplicateKey('{"a":"a","b":["a","a"],"c":"b"}'), undefined);
    assert.deepEqual(findDuplicateKey('{"a":"\\\\","a":1}'), { key: 'a', line: 1, column: 11 });
  });

  it('returns the first duplicate in text order when there are several', () => {
    assert.equal(findDuplicateKey('{"x":{"b":1,"b":2},"x":3}')?.key, 'b');
  });

  it('finds nothing in any JSON.stringify output, compact or indented (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(0, 2, '\t'), (v, indent) => {
        assert.equal(findDuplicateKey(JSON.stringify(v, null, indent)), undefined);
      }),
      { numRuns: 300 },
    );
  });

  it('finds a key repeated at the end of any object, at the right column (property)', () => {
    const obj = fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1 });
    fc.assert(
      fc.property(obj, fc.nat(), (o, pick) => {
        const keys = Object.keys(o);
        const key = keys[pick % keys.length]!;
        const base = JSON.stringify(o);
        const at = base.length - 1; // the closing brace
        const text = `${base.slice(0, at)},${JSON.stringify(key)}:null}`;
        assert.deepEqual(findDuplicateKey(text), { key, line: 1, column: at + 2 });
      }),
      { numRuns: 300 },
    );
  });
});
