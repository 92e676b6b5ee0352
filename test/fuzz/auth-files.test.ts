/**
 * Properties of registry auth files, as the registry client reads them
 * (AuthStore, src/transports/registry/auth-file.ts) and as login/logout
 * edit them (AuthDocument, src/credentials/auth-document.ts):
 *
 * - valid files in any spelling give each key's credentials to lookups;
 * - broken files (one malformed entry, text mutations, random text) fail with
 *   AuthFileError / CredentialsError naming the file, a syntax error says
 *   line and column, and no message ever holds 8 characters of a secret;
 * - edits (set, remove, remove all) change only what they touch: every other
 *   entry and top-level setting keeps its exact bytes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AuthDocument } from '../../src/credentials/auth-document.js';
import { CredentialsError } from '../../src/credentials/errors.js';
import { AuthFileError, AuthStore, normalizeKey } from '../../src/transports/registry/auth-file.js';
import { parseJsonSpans, type JsonObjectNode } from '../../src/util/json-spans.js';
import { checkProperty, mutatedString } from './fuzz-config.js';
import { authEntry, authFile, authKey, entryBreakage, secret, secretWindows, type GeneratedFile } from './auth-arbitraries.js';
import { spell, spelling as anySpelling } from './json-spelling.js';

const FILE = '/home/u/.docker/config.json';

/** Spellings that keep the file order of keys (which of two equivalent keys wins depends on it). */
const spelling = anySpelling.map((sp) => ({ ...sp, reverseKeys: false }));

function splitKey(k: string): { host: string; repo?: string } {
  const slash = k.indexOf('/');
  return slash < 0 ? { host: k } : { host: k.slice(0, slash), repo: k.slice(slash + 1) };
}

/** The credentials lookups must find per normalized key: the first entry of the file with any. */
function expectedLookups(f: GeneratedFile): Map<string, { username: string; password: string; identityToken?: string }> {
  const out = new Map<string, { username: string; password: string; identityToken?: string }>();
  for (const { key, entry } of f.entries) if (entry.creds && !out.has(normalizeKey(key))) out.set(normalizeKey(key), entry.creds);
  return out;
}

function assertNoSecret(message: string, secrets: readonly string[]): void {
  for (const w of secretWindows(secrets)) assert.ok(!message.includes(w), `the message holds part of a secret (${w}): ${message}`);
}

const ONE_LINE = /^[^\r\n\u2028\u2029]*$/;

function assertPrecise(e: unknown, text: string, secrets: readonly string[], types: readonly (typeof AuthFileError | typeof CredentialsError)[]): void {
  assert.ok(types.some((t) => e instanceof t), `expected ${types.map((t) => t.name).join(' or ')}, got ${String(e)}`);
  const msg = (e as Error).message;
  assertNoSecret(msg, secrets);
  for (const line of msg.split('\n')) assert.ok(line.startsWith(FILE), `each problem names the file: ${JSON.stringify(msg)}`);
  if (/not valid JSON/.test(msg) && text.charCodeAt(0) !== 0xfeff) assert.match(msg, /^[^\n]*not valid JSON \(line \d+, column \d+: /, 'a syntax error says where');
}

describe('fuzz: auth files', () => {
  it('valid files in any spelling: every key finds its credentials, and nothing is reported malformed', async () => {
    await checkProperty(
      'auth file lookups',
      fc.property(authFile, spelling, (f, sp) => {
        const text = spell(f.doc, sp);
        const store = AuthStore.parse(FILE, text);
        const want = expectedLookups(f);
        assert.equal(store.size, want.size);
        for (const [k, creds] of want) {
          const { host, repo } = splitKey(k);
          assert.deepEqual(store.lookup(host, repo), { ...creds, key: k, file: FILE }, `lookup ${k}`);
        }
        const doc = AuthDocument.parse(FILE, text);
        assert.equal(doc.legacy, f.legacy && f.entries.some((e) => 'auth' in e.entry.value));
        if (!f.legacy) {
          assert.deepEqual(doc.check().map((s) => [s.key, s.username, s.problem]), f.entries.map((e) => [e.key, e.entry.creds?.username, undefined]));
        }
      }),
      { runs: 1500, ms: 3000 },
    );
  });

  it('find(key) is the entry lookups use', async () => {
    await checkProperty(
      'auth find vs lookup',
      fc.property(authFile.filter((f) => !f.legacy), (f) => {
        const text = JSON.stringify(f.doc);
        const store = AuthStore.parse(FILE, text);
        const doc = AuthDocument.parse(FILE, text);
        for (const { key } of f.entries) {
          const found = doc.find(key);
          const hit = store.lookup(splitKey(normalizeKey(key)).host, splitKey(normalizeKey(key)).repo);
          if (hit === undefined || hit.key !== normalizeKey(key)) continue;
          assert.deepEqual(found?.value, f.entries.find((e) => e.entry.creds && normalizeKey(e.key) === hit.key)?.entry.value, `find(${key})`);
        }
      }),
      { runs: 500, ms: 1500 },
    );
  });

  it('one malformed entry, mutated or random text: a precise error naming the file, never a secret', async () => {
    const brokenEntry = fc.tuple(authFile.filter((f) => f.entries.length > 0), fc.nat(), entryBreakage, secret).map(([f, i, brk, s]) => {
      const at = i % f.entries.length;
      const bad = brk(s);
      const entries = f.entries.map((e, k) => [e.key, k === at ? bad : e.entry.value] as const);
      const auths = Object.fromEntries(entries);
      const doc = f.legacy ? auths : { ...f.doc, auths };
      return { doc, secrets: [...f.secrets, s] };
    });
    const input = fc.oneof(
      fc.tuple(brokenEntry, spelling).map(([b, sp]) => ({ text: spell(b.doc, sp), secrets: b.secrets })),
      fc.tuple(authFile, spelling).chain(([f, sp]) => mutatedString(fc.constant(spell(f.doc, sp))).map((text) => ({ text, secrets: f.secrets }))),
      fc.tuple(authFile, spelling, fc.nat()).map(([f, sp, cut]) => {
        const t = spell(f.doc, sp);
        return { text: t.slice(0, cut % (t.length + 1)), secrets: f.secrets };
      }),
      fc.oneof(fc.string({ maxLength: 60 }), fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? '')).map((text) => ({ text, secrets: [] as string[] })),
    );
    await checkProperty(
      'auth file refusals',
      fc.property(input, ({ text, secrets }) => {
        try {
          AuthStore.parse(FILE, text);
        } catch (e) {
          assertPrecise(e, text, secrets, [AuthFileError]);
        }
        let doc: AuthDocument;
        try {
          doc = AuthDocument.parse(FILE, text);
        } catch (e) {
          assertPrecise(e, text, secrets, [CredentialsError]);
          return;
        }
        for (const s of doc.check()) if (s.problem !== undefined) assertNoSecret(s.problem, secrets);
        try {
          doc.assertValid();
        } catch (e) {
          assertPrecise(e, text, secrets, [CredentialsError]);
        }
      }),
      { runs: 3000, ms: 3000 },
    );
  });

  it('a problem in an entry is on one line', async () => {
    await checkProperty(
      'auth entry problem one line',
      fc.property(fc.string({ unit: fc.constantFrom('a', '.', ':', '\n', '\r', '\u2028'), minLength: 1, maxLength: 10 }), (key) => {
        try {
          AuthStore.parse(FILE, JSON.stringify({ auths: { [key]: { auth: '!' } } }));
        } catch (e) {
          assert.match((e as Error).message, ONE_LINE);
        }
      }),
      { runs: 300, ms: 1000 },
    );
  });
});

/** Top-level members and "auths" members of `text` as their exact text (key to end of value). */
function memberTexts(text: string): { top: Map<string, string>; auths: { key: string; text: string }[] } {
  const root = parseJsonSpans(text) as JsonObjectNode;
  const top = new Map<string, string>();
  let auths: { key: string; text: string }[] = [];
  for (const m of root.members) {
    if (m.key === 'auths' && m.value.kind === 'object') auths = m.value.members.map((a) => ({ key: a.key, text: text.slice(a.keyStart, a.value.end) }));
    else top.set(m.key, text.slice(m.keyStart, m.value.end));
  }
  return { top, auths };
}

function assertKept(before: ReturnType<typeof memberTexts>, after: ReturnType<typeof memberTexts>, touched: string | undefined): void {
  assert.deepEqual(after.top, before.top, 'top-level settings keep their bytes');
  const untouched = (list: typeof before.auths) => list.filter((a) => touched === undefined || normalizeKey(a.key) !== normalizeKey(touched)).map((a) => a.text);
  assert.deepEqual(untouched(after.auths), untouched(before.auths), 'every other entry keeps its bytes and its place');
}

describe('fuzz: auth file edits', () => {
  const editable = fc.tuple(authFile.filter((f) => !f.legacy), spelling).map(([f, sp]) => ({ f, text: spell(f.doc, sp) }));

  it('setting an entry changes that entry only; the file stays valid and finds it', async () => {
    await checkProperty(
      'auth edit set',
      fc.property(editable, fc.oneof(authKey, fc.constantFrom('new.example.com', 'localhost:5000')), authEntry, ({ text }, key, e) => {
        const doc = AuthDocument.parse(FILE, text);
        const had = doc.entries().filter((x) => normalizeKey(x.key) === normalizeKey(key)).length;
        const { doc: next, replaced } = doc.withEntry(key, e.value);
        assert.equal(replaced, had > 0);
        const after = memberTexts(next.text);
        assertKept(memberTexts(text), after, key);
        const mine = after.auths.filter((a) => normalizeKey(a.key) === normalizeKey(key));
        assert.equal(mine.length, 1, 'equivalent keys collapse into one entry');
        assert.equal(mine[0]!.key, key);
        assert.deepEqual(next.find(key)?.value, e.value);
        assert.deepEqual(JSON.parse(next.text).auths[key], e.value);
      }),
      { runs: 1500, ms: 3000 },
    );
  });

  it('removing one key, or all, keeps every other byte', async () => {
    await checkProperty(
      'auth edit remove',
      fc.property(editable, authKey, fc.boolean(), ({ text }, key, all) => {
        const doc = AuthDocument.parse(FILE, text);
        const before = memberTexts(text);
        if (all) {
          const { doc: next, removed } = doc.withoutAll();
          assert.equal(removed, before.auths.length);
          const after = memberTexts(next.text);
          assert.deepEqual(after.top, before.top);
          assert.deepEqual(after.auths, []);
          return;
        }
        const { doc: next, removed } = doc.without(key);
        assert.equal(removed, before.auths.filter((a) => normalizeKey(a.key) === normalizeKey(key)).length);
        const after = memberTexts(next.text);
        assertKept(before, after, key);
        assert.ok(after.auths.every((a) => normalizeKey(a.key) !== normalizeKey(key)));
        assert.equal(next.find(key), undefined);
      }),
      { runs: 1500, ms: 3000 },
    );
  });
});

describe('fuzz: auth files with a byte-order mark', () => {
  it('a BOM-prefixed file reads like the same file without it', async () => {
    await checkProperty(
      'auth file BOM',
      fc.property(authFile, spelling, (f, sp) => {
        const text = spell(f.doc, sp);
        assert.equal(AuthStore.parse(FILE, `\ufeff${text}`).size, AuthStore.parse(FILE, text).size);
      }),
      { runs: 100, ms: 1000 },
    );
  });
});
