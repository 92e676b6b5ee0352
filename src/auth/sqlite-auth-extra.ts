/**
 * The SQLite halves of LoginCounterStore and SessionRecordStore (store.ts),
 * over the tables of migration 4 (migrations.ts). Writes run in IMMEDIATE
 * transactions, so the CLI and the server (two processes) serialize.
 */
import type Database from 'better-sqlite3';
import type { CounterCheck, FailureWindowSpec, SessionRecord } from './store.js';

interface WindowRow {
  key: string;
  window_start: number;
  window_ms: number;
  failures: number;
}

/** Failures of a row that is still inside its window; 0 for none or an expired one. */
export function liveFailures(r: { window_start: number; window_ms: number; failures: number } | undefined, nowMs: number): number {
  return r && nowMs - r.window_start < r.window_ms ? r.failures : 0;
}

/** The first window at or over its limit among `rows` (same order as `w`). */
export function firstFull(w: readonly FailureWindowSpec[], rows: ReadonlyArray<WindowRow | undefined>, nowMs: number): CounterCheck {
  for (let i = 0; i < w.length; i++) {
    const r = rows[i];
    if (liveFailures(r, nowMs) >= w[i]!.limit) return { ok: false, index: i, endsAt: r!.window_start + r!.window_ms };
  }
  return { ok: true };
}

/** How often (in reservations) expired windows are deleted. */
export const SWEEP_EVERY = 256;

export function sqliteCounters(db: Database.Database) {
  const select = db.prepare('SELECT key, window_start, window_ms, failures FROM login_failures WHERE key = ?');
  const upsert = db.prepare('INSERT OR REPLACE INTO login_failures (key, window_start, window_ms, failures) VALUES (?, ?, ?, ?)');
  let reservations = 0;
  const rowsOf = (w: readonly FailureWindowSpec[]) => w.map((x) => select.get(x.key) as WindowRow | undefined);
  return {
    check: (w: readonly FailureWindowSpec[], nowMs: number): CounterCheck => firstFull(w, rowsOf(w), nowMs),
    reserve: (w: readonly FailureWindowSpec[], nowMs: number): CounterCheck =>
      db
        .transaction((): CounterCheck => {
          if (++reservations % SWEEP_EVERY === 0) db.prepare('DELETE FROM login_failures WHERE window_start + window_ms <= ?').run(nowMs);
          const rows = rowsOf(w);
          const full = firstFull(w, rows, nowMs);
          if (!full.ok) return full;
          w.forEach((x, i) => {
            const r = rows[i];
            const live = liveFailures(r, nowMs);
            if (live === 0) upsert.run(x.key, nowMs, x.windowMs, 1);
            else upsert.run(x.key, r!.window_start, r!.window_ms, live + 1);
          });
          return full;
        })
        .immediate(),
    release: (keys: readonly string[], nowMs: number): void =>
      db
        .transaction(() => {
          for (const k of keys) {
            db.prepare('UPDATE login_failures SET failures = failures - 1 WHERE key = ? AND failures > 0 AND window_start + window_ms > ?').run(k, nowMs);
            db.prepare('DELETE FROM login_failures WHERE key = ? AND failures <= 0').run(k);
          }
        })
        .immediate(),
  };
}

interface SessionRow {
  id_hash: string;
  account_id: string;
  name: string;
  generation: number;
  csrf: string;
  last_seen: number;
}

export function toSession(r: SessionRow): SessionRecord {
  return { idHash: r.id_hash, accountId: r.account_id, name: r.name, generation: Number(r.generation), csrf: r.csrf, lastSeen: Number(r.last_seen) };
}

export function sqliteSessions(db: Database.Database) {
  return {
    put: (s: SessionRecord): void => {
      db.prepare('INSERT OR REPLACE INTO console_sessions (id_hash, account_id, name, generation, csrf, last_seen) VALUES (?, ?, ?, ?, ?, ?)').run(
        s.idHash,
        s.accountId,
        s.name,
        s.generation,
        s.csrf,
        s.lastSeen,
      );
    },
    get: (idHash: string): SessionRecord | undefined => {
      const r = db.prepare('SELECT * FROM console_sessions WHERE id_hash = ?').get(idHash) as SessionRow | undefined;
      return r ? toSession(r) : undefined;
    },
    touch: (idHash: string, lastSeen: number): void => {
      db.prepare('UPDATE console_sessions SET last_seen = MAX(last_seen, ?) WHERE id_hash = ?').run(lastSeen, idHash);
    },
    delete: (idHash: string): void => {
      db.prepare('DELETE FROM console_sessions WHERE id_hash = ?').run(idHash);
    },
    sweep: (before: number, max: number): void =>
      db
        .transaction(() => {
          db.prepare('DELETE FROM console_sessions WHERE last_seen < ?').run(before);
          db.prepare('DELETE FROM console_sessions WHERE id_hash IN (SELECT id_hash FROM console_sessions ORDER BY last_seen DESC LIMIT -1 OFFSET ?)').run(max);
        })
        .immediate(),
  };
}
