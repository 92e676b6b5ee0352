/** Small pieces of the security layer: scopes, globs and grants, htpasswd, the login limiter, Basic parsing. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseBasic } from '../../src/auth/authenticator.js';
import { parseHtpasswd } from '../../src/auth/htpasswd.js';
import { passwordProblem } from '../../src/auth/passwords.js';
import { allowedActions, globHint, isValidGlob } from '../../src/auth/permissions.js';
import { LoginLimiter } from '../../src/auth/rate-limit.js';
import { parseScope, parseScopes } from '../../src/auth/scopes.js';
import { grantScopes } from '../../src/auth/token-endpoint.js';

const HASH = '$2y$05$' + 'a'.repeat(53);

describe('security units', () => {
  it('parses scopes: actions, *, catalog, plugin class, several per value; ignores the rest', () => {
    assert.deepEqual(parseScope('repository:ocp4/release:pull,push'), { type: 'repository', name: 'ocp4/release', actions: ['pull', 'push'] });
    assert.deepEqual(parseScope('repository:a/b:*'), { type: 'repository', name: 'a/b', actions: ['pull', 'push', 'delete'] });
    assert.deepEqual(parseScope('repository(plugin):a:pull'), { type: 'repository', name: 'a', actions: ['pull'] });
    assert.deepEqual(parseScope('registry:catalog:*'), { type: 'catalog' });
    for (const bad of ['registry:catalog:pull', 'repository:a', 'repository::pull', 'repository:a:fly', 'user:a:pull', '', 'x']) assert.equal(parseScope(bad), undefined, bad);
    assert.equal(parseScopes(['repository:a:pull repository:b:push', 'registry:catalog:*', 'junk']).length, 3);
  });

  it('globs: * within a component, ** across; invalid names get nothing', () => {
    const g = { admin: false, pull: ['ocp4/*'], push: ['mirror/**'] };
    assert.deepEqual([...allowedActions(g, 'ocp4/release')], ['pull']);
    assert.deepEqual([...allowedActions(g, 'ocp4/openshift/release')], []);
    assert.deepEqual([...allowedActions(g, 'mirror/a/b/c')], ['pull', 'push', 'delete']);
    assert.deepEqual([...allowedActions(g, 'mirror')], []);
    assert.deepEqual([...allowedActions({ admin: false, pull: [], push: ['**'] }, 'x')], ['pull', 'push', 'delete']);
    for (const evil of ['mirror/../ocp4/x', 'mirror/%2e%2e/x', 'Mirror/x', 'mirror//x', 'mirror/x/']) {
      assert.equal(allowedActions({ admin: true, pull: [], push: ['**'] }, evil).size, 0, evil);
    }
    assert.ok(isValidGlob('ocp4/**') && isValidGlob('team-*/app') && isValidGlob('**'));
    for (const bad of ['', '/x', 'x/', 'X', 'a b', 'a/../b/[x]', 'a?']) assert.equal(isValidGlob(bad), false, bad);
    assert.match(globHint('ocp4/*') ?? '', /ocp4\/\*\*/);
    assert.equal(globHint('ocp4/**'), undefined);
  });

  it('grants the requested subset only; anonymous catalog only with anonymous pull', () => {
    const scopes = parseScopes(['repository:ocp4/a:pull,push,delete', 'repository:x/y:pull', 'registry:catalog:*']);
    assert.deepEqual(grantScopes({ admin: false, pull: ['ocp4/**'], push: [] }, scopes, false), [
      { type: 'repository', name: 'ocp4/a', actions: ['pull'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ]);
    assert.deepEqual(grantScopes({ admin: false, pull: [], push: [] }, scopes, true), []);
  });

  it('htpasswd: bcrypt entries only, reported by line', () => {
    const r = parseHtpasswd(`# users\nalice:${HASH}\nbob:{SHA}abc\nBad Name:${HASH}\nalice:${HASH}\n\ncarol:$apr1$x$y\n`);
    assert.deepEqual(r.entries.map((e) => e.name), ['alice']);
    assert.deepEqual(r.skipped.map((s) => [s.line, s.reason.split(' ')[0]]), [
      [3, 'not'],
      [4, 'invalid'],
      [5, 'duplicate'],
      [7, 'not'],
    ]);
  });

  it('login limiter: blocks after the limit within the window, per address, then forgets', () => {
    let now = 1000;
    const l = new LoginLimiter({ limit: 3, windowMs: 10_000, maxTracked: 2 }, () => now);
    for (let i = 0; i < 3; i++) {
      assert.equal(l.blockedFor('a'), undefined);
      l.fail('a');
    }
    assert.equal(l.blockedFor('a'), 10);
    assert.equal(l.blockedFor('b'), undefined);
    now += 9_500;
    assert.equal(l.blockedFor('a'), 1);
    now += 600;
    assert.equal(l.blockedFor('a'), undefined);
    l.fail('b');
    l.fail('c');
    l.fail('d');
    assert.equal(l.blockedFor('d'), undefined);
  });

  it('Basic parsing and password rules', () => {
    assert.deepEqual(parseBasic(`Basic ${Buffer.from('robot+x:a:b').toString('base64')}`), { username: 'robot+x', password: 'a:b' });
    assert.equal(parseBasic('Basic !!!'), undefined);
    assert.equal(parseBasic(`Basic ${Buffer.from(':nouser').toString('base64')}`), undefined);
    assert.equal(parseBasic('Bearer x'), undefined);
    assert.equal(passwordProblem('long-enough'), undefined);
    assert.match(passwordProblem('short') ?? '', /at least/);
    assert.match(passwordProblem('x'.repeat(73)) ?? '', /at most/);
    assert.match(passwordProblem('tab\there-x') ?? '', /control/);
  });
});
