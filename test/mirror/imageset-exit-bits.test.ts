/**
 * oc-mirror v2's exit bitmask (anchors §1: 1 generic, 2 release, 4 operator,
 * 8 additional, 16 helm) and the origin each plan item is reported under.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseImageReference } from '../../src/transports/all.js';
import type { ItemOrigin, PlanItem } from '../../src/mirror/plan.js';
import { EXIT, exitBits, failureKind, kindOf } from '../../src/mirror/imageset/run-m2m.js';

const item = (...origins: ItemOrigin[]): PlanItem => ({ source: parseImageReference('127.0.0.1:5000/a/b'), within: 'v1', targets: [], origins });

describe('image-set exit bits and origins', () => {
  it('helm failures set 16; each kind its own bit; a missing release sets 2', () => {
    assert.equal(EXIT.helm, 16);
    assert.equal(exitBits([]), 0);
    assert.equal(exitBits([{ kind: 'helm' }]), 16);
    assert.equal(exitBits([{ kind: 'additional' }, { kind: 'helm' }]), 24);
    assert.equal(exitBits([{ kind: 'operator' }, { kind: 'release' }]), 6);
    assert.equal(exitBits([], true), 2);
    assert.equal(failureKind('helm'), 'helm');
    assert.equal(failureKind('operator'), 'operator');
    assert.equal(failureKind('sample'), 'additional');
  });
  it('items: release > operator > additional > helm', () => {
    assert.equal(kindOf(item({ kind: 'helm' })), 'helm');
    assert.equal(kindOf(item({ kind: 'helm' }, { kind: 'additional' })), 'additional');
    assert.equal(kindOf(item({ kind: 'helm' }, { kind: 'operator', package: 'p', bundle: 'b' })), 'operator');
    assert.equal(kindOf(item({ kind: 'helm' }, { kind: 'release', component: 'c' })), 'release');
    assert.equal(kindOf(item({ kind: 'sample' })), 'additional');
  });
});
