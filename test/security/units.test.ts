/** Small pieces of the security layer: scopes, globs and grants, htpasswd, the login limiter, Basic parsing. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseBasic } from '../../src/auth/authenticator.js';
import { parseHtpasswd } from '../../src/auth/htpasswd.js';
import { passwordProblem } from '../../src/auth/passwords.js';
import { allowedActions, globHint, isValidGlob } from '../../src/auth/permissions.js';
import { isRefusal, LoginLimiter } from '../../src/auth/rate-limit.js';
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

  it('login limiter: per (address, user) within the window, then forgets; other users of the address are not blocked', async () => {
    let now = 1000;
    const l = new LoginLimiter({ limit: 3, windowMs: 10_000, userLimit: 100, userWindowMs: 60_000, maxConcurrentPerAddress: 10, maxConcurrentPerUser: 10, maxTracked: 2 }, () => now);
    const fail = async (ip: string, user: string): Promise<void> => {
      const r = (await l.reserve(ip, user));
      assert.ok(!isRefusal(r), `reserve ${ip} ${user}`);
      await r.release(false);
    };
    for (let i = 0; i < 3; i++) {
      assert.equal((await l.blocked('a', 'alice')), undefined);
      await fail('a', 'alice');
    }
    assert.equal((await l.blocked('a', 'alice'))?.retryAfterSeconds, 10);
    assert.ok(isRefusal((await l.reserve('a', 'alice'))), 'a blocked pair cannot reserve');
    assert.equal((await l.blocked('a', 'bob')), undefined, 'bob behind the same address is not locked out');
    assert.equal((await l.blocked('b', 'alice')), undefined, 'alice from another address is not locked out by the pair bound');
    now += 9_500;
    assert.equal((await l.blocked('a', 'alice'))?.retryAfterSeconds, 1);
    now += 600;
    assert.equal((await l.blocked('a', 'alice')), undefined);
    await fail('b', 'x');
    await fail('c', 'x');
    await fail('d', 'x');
    assert.equal((await l.blocked('d', 'x')), undefined, 'one failure is not a block');
  });

  it('login limiter: a check in flight counts as a failure until released; a success is not counted', async () => {
    const l = new LoginLimiter({ limit: 3, windowMs: 10_000, userLimit: 100, userWindowMs: 60_000, maxConcurrentPerAddress: 100, maxConcurrentPerUser: 100 });
    const held = [(await l.reserve('a', 'alice')), (await l.reserve('a', 'alice')), (await l.reserve('a', 'alice'))];
    assert.ok(held.every((r) => !isRefusal(r)));
    const fourth = (await l.reserve('a', 'alice'));
    assert.ok(isRefusal(fourth), 'three checks in flight use up the limit of 3');
    assert.match(fourth.reason, /too many failed logins for this user from this address/);
    for (const r of held) if (!isRefusal(r)) await r.release(true);
    assert.equal((await l.blocked('a', 'alice')), undefined, 'successes leave no failure behind');
    assert.ok(!isRefusal((await l.reserve('a', 'alice'))));
  });

  it('login limiter: the slower per-user bound counts failures from every address; concurrency per user and per address is capped', async () => {
    const l = new LoginLimiter({ limit: 100, windowMs: 10_000, userLimit: 4, userWindowMs: 60_000, maxConcurrentPerAddress: 3, maxConcurrentPerUser: 2 });
    for (const ip of ['a', 'b', 'c', 'd']) {
      const r = (await l.reserve(ip, 'admin'));
      assert.ok(!isRefusal(r));
      await r.release(false);
    }
    assert.match((await l.blocked('e', 'admin'))?.reason ?? '', /too many failed logins for this user; retry later/, 'a fifth address is refused for admin');
    assert.equal((await l.blocked('e', 'alice')), undefined);
    const a1 = (await l.reserve('x', 'carol'));
    const a2 = (await l.reserve('y', 'carol'));
    const a3 = (await l.reserve('z', 'carol'));
    assert.ok(!isRefusal(a1) && !isRefusal(a2));
    assert.ok(isRefusal(a3) && a3.retryAfterSeconds === 1, 'a third concurrent check for one user waits');
    const b = [(await l.reserve('n', 'u1')), (await l.reserve('n', 'u2')), (await l.reserve('n', 'u3')), (await l.reserve('n', 'u4'))];
    assert.deepEqual(b.map(isRefusal), [false, false, false, true], 'at most 3 checks at once from one address');
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
