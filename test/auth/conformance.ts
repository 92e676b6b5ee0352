/**
 * The AuthStore conformance suite: every implementation (SQLite per data
 * directory, PostgreSQL shared by replicas) runs it against a real database.
 * Contracts are the ones stated in src/auth/store.ts. `replica` is a second
 * store on the same database sharing no memory with the first, so every
 * race below is between two "processes".
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashSecret, verifySecret } from '../../src/auth/passwords.js';
import { LoginLimiter, isRefusal } from '../../src/auth/rate-limit.js';
import { createRobot, removeRobot, rotateRobot } from '../../src/auth/robots.js';
import { SessionStore } from '../../src/auth/sessions.js';
import { bootstrapAdmin } from '../../src/auth/setup.js';
import { sharedSigningKey } from '../../src/auth/signing-key.js';
import { AccountError, type AuthStore } from '../../src/auth/store.js';

export interface AuthUnderTest {
  /** A store on a fresh, empty database. */
  make(): Promise<AuthStore>;
  /** Another store on the same database, sharing no memory with `s`. */
  replica(s: AuthStore): Promise<AuthStore>;
  cleanup(s: AuthStore): Promise<void>;
}

const BCRYPT = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;

export function authConformance(name: string, under: AuthUnderTest): void {
  describe(`AuthStore conformance: ${name}`, () => {
    let s: AuthStore;
    let r: AuthStore;
    before(async () => {
      s = await under.make();
      r = await under.replica(s);
    });
    after(async () => {
      await r.close();
      await under.cleanup(s);
    });

    it('the first account: of concurrent addFirst calls on two stores exactly one creates it; bootstrapAdmin then creates nothing', async () => {
      const hash = await hashSecret('first-password-1');
      const tries = await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 ? r : s).addFirst({ name: 'admin', kind: 'user', secretHash: hash, admin: true, pull: [], push: [] })),
      );
      assert.equal(tries.filter((a) => a !== undefined).length, 1, 'one winner');
      assert.equal(await s.count(), 1);
      assert.equal(await bootstrapAdmin(r), undefined, 'a replica starting later prints no password');
      const both = await Promise.all([bootstrapAdmin(s), bootstrapAdmin(r)]);
      assert.deepEqual(both, [undefined, undefined]);
    });

    it('users: stored as bcrypt hashes only, read back by the other store; duplicates and missing accounts are AccountError', async () => {
      const a = await s.add({ name: 'alice', kind: 'user', secretHash: await hashSecret('alice-password-1'), admin: false, pull: ['team/**'], push: ['team/dev/*'] });
      assert.match(a.id, /^[0-9a-f]{32}$/);
      assert.equal(a.generation, 1);
      const seen = await r.get('alice');
      assert.ok(seen);
      assert.match(seen.secretHash, BCRYPT);
      assert.ok(!seen.secretHash.includes('alice-password-1'));
      assert.equal(await verifySecret('alice-password-1', seen.secretHash), true);
      assert.deepEqual([seen.id, seen.kind, seen.admin, seen.pull, seen.push], [a.id, 'user', false, ['team/**'], ['team/dev/*']]);
      await assert.rejects(r.add({ name: 'alice', kind: 'user', secretHash: a.secretHash, admin: false, pull: [], push: [] }), AccountError);
      await assert.rejects(s.setGrants('nobody', { admin: false, pull: [], push: [] }), AccountError);
      await assert.rejects(s.setSecret('nobody', a.secretHash), AccountError);
      await assert.rejects(s.remove('nobody'), AccountError);
      assert.equal(await s.get('nobody'), undefined);
      assert.equal(await r.get('alice\0x'), undefined, 'a name a client sent with NUL in it is simply unknown');
    });

    it('changes bump the generation and keep the identity; a name taken again gets a new identity', async () => {
      const a = (await s.get('alice'))!;
      const g = await r.setGrants('alice', { admin: false, pull: ['x/**'], push: [] });
      assert.deepEqual([g.id, g.generation, g.pull, g.push], [a.id, a.generation + 1, ['x/**'], []]);
      const p = await s.setSecret('alice', await hashSecret('alice-password-2'));
      assert.deepEqual([p.id, p.generation], [a.id, a.generation + 2]);
      assert.equal(await verifySecret('alice-password-2', (await r.get('alice'))!.secretHash), true);
      await r.remove('alice');
      assert.equal(await s.get('alice'), undefined);
      const b = await s.add({ name: 'alice', kind: 'user', secretHash: p.secretHash, admin: false, pull: [], push: [] });
      assert.notEqual(b.id, a.id);
      assert.deepEqual((await r.list()).map((x) => `${x.kind}:${x.name}`), ['user:admin', 'user:alice']);
    });

    it('robots: created on one store, seen with their grants on the other; rotate and remove', async () => {
      const { account, token } = await createRobot(r, 'ci', { admin: false, pull: ['mirror/**'], push: [] });
      assert.equal(account.name, 'robot+ci');
      const seen = (await s.get('robot+ci'))!;
      assert.deepEqual([seen.kind, seen.admin, seen.pull, seen.push], ['robot', false, ['mirror/**'], []]);
      assert.match(seen.secretHash, BCRYPT);
      assert.equal(await verifySecret(token, seen.secretHash), true);
      await assert.rejects(createRobot(s, 'ci', { admin: false, pull: ['a'], push: [] }), AccountError);
      const rotated = await rotateRobot(s, 'ci');
      assert.notEqual(rotated.token, token);
      const later = (await r.get('robot+ci'))!;
      assert.equal(await verifySecret(token, later.secretHash), false, 'the old token is dead');
      assert.equal(await verifySecret(rotated.token, later.secretHash), true);
      assert.equal(later.generation, seen.generation + 1);
      await removeRobot(r, 'robot+ci');
      assert.equal(await s.get('robot+ci'), undefined);
      await assert.rejects(removeRobot(s, 'ci'), AccountError);
    });

    it('refresh tokens: first use ok, second replayed and the family revoked; expired and unknown are unknown', async () => {
      const now = Date.now();
      const rec = (st: AuthStore, jti: string, family: string, expiresAt = now + 60_000) => st.recordRefresh({ jti, family, accountId: 'id1', expiresAt });
      assert.equal(await rec(s, 't0', 'f'), true);
      assert.equal(await rec(r, 'other', 'g'), true);
      assert.equal((await r.useRefresh('t0', now)).outcome, 'ok');
      assert.equal(await rec(s, 't1', 'f'), true);
      assert.deepEqual(await s.useRefresh('t0', now), { outcome: 'replayed', family: 'f', accountId: 'id1' });
      assert.equal((await r.useRefresh('t1', now)).outcome, 'unknown', 't1, of the revoked family, is gone');
      assert.equal(await rec(r, 't2', 'f'), false, 'a token of a revoked family is never recorded, on any store');
      assert.equal((await s.useRefresh('other', now)).outcome, 'ok', 'other families are untouched');
      assert.equal(await rec(s, 'old', 'h', now - 1), true);
      assert.equal((await r.useRefresh('old', now)).outcome, 'unknown', 'expired');
      assert.equal((await r.useRefresh('never', now)).outcome, 'unknown');
    });

    it('refresh tokens: 8 concurrent uses of one token on two stores give exactly one ok', async () => {
      const now = Date.now();
      await s.recordRefresh({ jti: 'race', family: 'fr', accountId: 'id2', expiresAt: now + 60_000 });
      const uses = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? r : s).useRefresh('race', now)));
      assert.equal(uses.filter((u) => u.outcome === 'ok').length, 1);
      assert.ok(uses.some((u) => u.outcome === 'replayed'), 'a use after the first is a replay');
      assert.equal(await s.recordRefresh({ jti: 'race-next', family: 'fr', accountId: 'id2', expiresAt: now + 60_000 }), false, 'the family is revoked');
    });

    it('removing an account or changing its secret deletes its refresh tokens', async () => {
      const a = await s.add({ name: 'bob', kind: 'user', secretHash: await hashSecret('bob-password-1'), admin: false, pull: [], push: [] });
      const exp = Date.now() + 60_000;
      await s.recordRefresh({ jti: 'b1', family: 'fb', accountId: a.id, expiresAt: exp });
      await r.setSecret('bob', a.secretHash);
      assert.equal((await s.useRefresh('b1', Date.now())).outcome, 'unknown');
      await s.recordRefresh({ jti: 'b2', family: 'fb2', accountId: a.id, expiresAt: exp });
      await r.remove('bob');
      assert.equal((await s.useRefresh('b2', Date.now())).outcome, 'unknown');
    });

    it('the token signing key: concurrent first calls on two stores all get the one key that won', async () => {
      const keys = await Promise.all([sharedSigningKey(s), sharedSigningKey(r), sharedSigningKey(s), sharedSigningKey(r)]);
      assert.equal(new Set(keys.map((k) => k.kid)).size, 1);
      assert.equal((await sharedSigningKey(r)).kid, keys[0]!.kid, 'later starts reuse it');
      const values = await Promise.all([s.secret('other', 'one'), r.secret('other', 'two')]);
      assert.equal(values[0], values[1]);
      assert.ok(['one', 'two'].includes(values[0]));
      assert.equal(await s.secret('other', 'three'), values[0]);
    });

    it('login counters: a limit of 5 across two stores allows exactly 5 reservations of 20 concurrent ones', async () => {
      const now = 10_000_000;
      const w = [{ key: 'p\0ip\0carol', limit: 5, windowMs: 60_000 }, { key: 'u\0carol', limit: 50, windowMs: 600_000 }];
      const got = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? r : s).reserveFailure(w, now)));
      assert.equal(got.filter((g) => g.ok).length, 5);
      const refused = got.find((g) => !g.ok);
      assert.deepEqual(refused, { ok: false, index: 0, endsAt: now + 60_000 });
      assert.deepEqual(await r.checkFailures(w, now + 1), { ok: false, index: 0, endsAt: now + 60_000 });
      await s.releaseFailure(w.map((x) => x.key), now + 2);
      assert.deepEqual(await r.checkFailures(w, now + 3), { ok: true }, 'a released reservation (a success) is taken back');
      assert.equal((await r.reserveFailure(w, now + 4)).ok, true);
      assert.equal((await s.reserveFailure(w, now + 5)).ok, false);
      assert.deepEqual(await s.checkFailures(w, now + 60_000), { ok: true }, 'the window ends 60 s after its first failure');
      assert.equal((await r.reserveFailure(w, now + 60_000)).ok, true, 'a new window starts');
      const user = [{ key: 'u\0carol', limit: 6, windowMs: 600_000 }];
      assert.deepEqual(await s.checkFailures(user, now + 60_001), { ok: false, index: 0, endsAt: now + 600_000 }, 'the per-user window counted every failure');
    });

    it('login counters through LoginLimiter: failures spread over two processes hit one limit', async () => {
      const opts = { limit: 3, windowMs: 60_000, userLimit: 100, userWindowMs: 600_000, maxConcurrentPerAddress: 100, maxConcurrentPerUser: 100 };
      const [l1, l2] = [new LoginLimiter(opts, Date.now, s), new LoginLimiter(opts, Date.now, r)];
      for (const l of [l1, l2, l1]) {
        const res = await l.reserve('10.0.0.9', 'dave');
        assert.ok(!isRefusal(res));
        await res.release(false);
      }
      assert.match((await l2.blocked('10.0.0.9', 'dave'))?.reason ?? '', /too many failed logins for this user from this address/);
      assert.ok(isRefusal(await l1.reserve('10.0.0.9', 'dave')));
      assert.equal(await l2.blocked('10.0.0.8', 'dave'), undefined, 'another address is not blocked by the pair bound');
    });

    it('console sessions: created on one store, live on the other, touched, ended by logout and by an account change', async () => {
      const erin = await s.add({ name: 'erin', kind: 'user', secretHash: await hashSecret('erin-password-1'), admin: false, pull: ['**'], push: [] });
      const [one, two] = [new SessionStore(s, 60_000), new SessionStore(r, 60_000)];
      const t0 = Date.now();
      const a = await one.create(erin, t0);
      const got = await two.get(a.id, t0 + 30_000);
      assert.equal(got?.account.name, 'erin');
      assert.equal(got?.session.csrf, a.csrf);
      assert.ok(await one.get(a.id, t0 + 80_000), 'the use at +30 s on the other store moved its idle start');
      assert.equal(await two.get(a.id, t0 + 200_000), undefined, 'idle for too long');
      assert.equal(await one.get(a.id, t0), undefined, 'an expired session is deleted');
      const b = await two.create(erin, t0);
      await one.delete(b.id);
      assert.equal(await two.get(b.id, t0), undefined, 'logout on one store ends it on the other');
      const c = await one.create(erin, t0);
      await r.setGrants('erin', { admin: false, pull: [], push: [] });
      assert.equal(await two.get(c.id, t0), undefined, 'a grants change ends the session');
      assert.equal(await s.getSession('not-a-hash'), undefined);
    });

    it('imports (airlock migrate): accounts verbatim by identity and generation, conflicts refused; refresh tokens and revoked families', async () => {
      const acc = { name: 'imported', id: 'f'.repeat(32), kind: 'user' as const, secretHash: '$2a$10$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234', admin: false, pull: ['a/**'], push: ['b/*'], generation: 3, createdAt: 5, updatedAt: 6 };
      assert.equal(await s.importAccount(acc), 'added');
      assert.deepEqual(await r.get('imported'), acc, 'read back verbatim by the other store');
      assert.equal(await r.importAccount(acc), 'present');
      assert.equal(await s.importAccount({ ...acc, generation: 4, pull: ['c/**'] }), 'updated');
      assert.deepEqual((await r.get('imported'))?.pull, ['c/**']);
      assert.equal(await s.importAccount({ ...acc, generation: 2 }), 'present', 'an older generation never replaces a newer one');
      assert.equal(await s.importAccount({ ...acc, id: 'e'.repeat(32), generation: 9 }), 'conflict', 'another identity of that name');
      assert.equal(await s.importAccount({ ...acc, name: 'other-name' }), 'conflict', 'the id is taken by another name');
      assert.equal((await s.get('imported'))?.generation, 4);
      const rec = { jti: 'imp-1', family: 'imp-fam', accountId: acc.id, expiresAt: Date.now() + 60_000 };
      assert.equal(await s.importRefresh(rec, undefined), true);
      assert.equal(await s.importRefresh({ ...rec, jti: 'imp-x', accountId: 'd'.repeat(32) }, undefined), false, 'no such identity');
      assert.equal((await r.useRefresh('imp-1', Date.now())).outcome, 'ok');
      assert.equal(await s.importRefresh(rec, undefined), true, 'a re-run');
      assert.equal((await r.useRefresh('imp-1', Date.now())).outcome, 'replayed', 'a re-run never makes a used token usable again');
      await s.importRevoked('imp-fam2', Date.now());
      assert.equal(await s.importRefresh({ ...rec, jti: 'imp-2', family: 'imp-fam2' }, undefined), false, 'revoked family');
    });

    it('console sessions: the sweep deletes idle ones and keeps at most `max`', async () => {
      const base = { accountId: 'x', name: 'x', generation: 1, csrf: 'c' };
      for (let i = 0; i < 5; i++) await s.putSession({ ...base, idHash: `sweep-${i}`, lastSeen: 1_000 + i });
      await r.sweepSessions(1_001, 2);
      const left = await Promise.all([0, 1, 2, 3, 4].map(async (i) => (await s.getSession(`sweep-${i}`)) !== undefined));
      assert.deepEqual(left, [false, false, false, true, true]);
    });
  });
}
