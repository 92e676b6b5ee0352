import { open } from 'node:fs/promises';

/**
 * Group fsync: callers that need "everything written to this file or
 * directory so far is on disk" share one fsync(2)/fdatasync(2) per path and
 * commit window, run on a libuv thread (the main thread never waits for the
 * disk). Used for the SQLite WAL (docs/durability.md) and for the
 * directories blob renames land in.
 *
 * Contract of `sync(path)`:
 * - it resolves only after a sync of `path` that started after the call has
 *   finished, so everything written (or renamed into a directory) before the
 *   call is durable;
 * - calls for one path that arrive within `windowMs` of the first share that
 *   sync (0: those of the same event-loop turn);
 * - calls that arrive while a sync of the path is in flight wait for the next
 *   round (the one in flight may have started before their write);
 * - a failed sync rejects every caller of its round; the next round tries
 *   again. A path that does not exist (ENOENT) counts as synced when
 *   `missingOk` was given for it.
 */
export class GroupSync {
  private readonly paths = new Map<string, PathState>();
  /** Syncs run so far, all paths (for tests and diagnostics). */
  rounds = 0;

  constructor(readonly windowMs: number) {}

  sync(path: string, opts: { data?: boolean; missingOk?: boolean } = {}): Promise<void> {
    let st = this.paths.get(path);
    if (!st) {
      st = { next: undefined, inFlight: undefined };
      this.paths.set(path, st);
    }
    if (st.next) return st.next.promise;
    const round = newRound();
    st.next = round;
    const state = st;
    const start = (): void => {
      const after = state.inFlight ?? Promise.resolve();
      void after.then(() => {
        if (state.next === round) state.next = undefined;
        const p = this.syncOnce(path, opts.data === true, opts.missingOk === true);
        const settled = p.then(
          () => undefined,
          () => undefined,
        );
        state.inFlight = settled;
        void settled.then(() => {
          if (state.inFlight === settled && !state.next) this.paths.delete(path);
        });
        p.then(round.resolve, round.reject);
      });
    };
    if (this.windowMs > 0) setTimeout(start, this.windowMs);
    else setImmediate(start);
    return round.promise;
  }

  private async syncOnce(path: string, data: boolean, missingOk: boolean): Promise<void> {
    this.rounds++;
    let fh;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      if (missingOk && (e as { code?: string }).code === 'ENOENT') return;
      throw e;
    }
    try {
      await (data ? fh.datasync() : fh.sync());
    } finally {
      await fh.close();
    }
  }
}

interface PathState {
  next: Round | undefined;
  inFlight: Promise<void> | undefined;
}

interface Round {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

function newRound(): Round {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
