/**
 * One run log for replicas on one PostgreSQL (the console's mirror runs and
 * GC history, MetadataStore.runLog), with `airlock serve` processes on
 * loopback sharing PostgreSQL and a Ceph RGW prefix:
 * - a mirror run posted to replica 1 is listed by replica 2;
 * - a collection run by replica 2 shows in replica 1's GC history;
 * - replica 1 starts with the runs.db of an older airlock in its data
 *   directory: its rows are imported once (listed by replica 2 too) and the
 *   file is renamed, so a restart does not import it again.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { startAirlockProcess, type AirlockProcess } from '../helpers/airlock-process.js';
import { pgGate } from '../helpers/pg.js';
import { awsEnv, s3Gate, s3TestEnv } from '../helpers/s3.js';
import { createSharedStores, type SharedStores } from '../helpers/shared-stores.js';
import { gcSummary, mirrorReport } from './conformance-run-log.js';

const gates = [pgGate(), s3Gate()];
const failure = gates.map((g) => g.failure).find((f) => f !== undefined);
const skip = gates.map((g) => g.skip).find((s) => s !== false) ?? false;
const env = s3TestEnv();

interface Runs { runs: { id: number; repositories: string[]; sentBy: string; receivedAt: number }[] }
interface Storage { gcRuns: { finishedAt: number; blobs: number }[] }

/** A runs.db as airlock wrote it before the run log moved into the metadata store. */
function writeOldRunsDb(path: string): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE mirror_runs (id INTEGER PRIMARY KEY AUTOINCREMENT, received_at INTEGER NOT NULL, sent_by TEXT NOT NULL, report TEXT NOT NULL);
    CREATE TABLE gc_runs (id INTEGER PRIMARY KEY AUTOINCREMENT, finished_at INTEGER NOT NULL, summary TEXT NOT NULL);`);
  db.prepare('INSERT INTO mirror_runs (received_at, sent_by, report) VALUES (?, ?, ?)').run(1_700_000_000_000, 'robot+old', JSON.stringify(mirrorReport(['old/release'])));
  db.prepare('INSERT INTO gc_runs (finished_at, summary) VALUES (?, ?)').run(1_700_000_000_500, JSON.stringify(gcSummary(1_700_000_000_500, 42)));
  db.close();
}

describe('one run log for replicas on PostgreSQL', { skip }, () => {
  if (failure !== undefined) {
    it('has PostgreSQL and an S3 store', () => assert.fail(failure));
    return;
  }
  let work: string;
  let stores: SharedStores | undefined;
  let dbUrl: string;
  let storage: string;
  let r1: AirlockProcess;
  let r2: AirlockProcess;
  const r1Dir = () => join(work, 'r1');
  const serve = (dataDir: string, gc: string[]) =>
    startAirlockProcess({ dataDir, args: ['--metadata', dbUrl, '--storage', storage, ...gc], env: awsEnv(env!) });
  const runsOf = async (r: AirlockProcess): Promise<Runs['runs']> => {
    const res = await fetch(`${r.url}/api/v1/mirror-runs?limit=100`);
    assert.equal(res.status, 200);
    return ((await res.json()) as Runs).runs;
  };
  const gcOf = async (r: AirlockProcess): Promise<Storage['gcRuns']> => ((await (await fetch(`${r.url}/api/v1/storage`)).json()) as Storage).gcRuns;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-runlog-replicas-'));
    stores = await createSharedStores();
    ({ dbUrl, storage } = stores);
    await import('node:fs/promises').then((fs) => fs.mkdir(r1Dir()));
    writeOldRunsDb(join(r1Dir(), 'runs.db'));
    r1 = await serve(r1Dir(), ['--no-gc']);
    r2 = await serve(join(work, 'r2'), ['--gc-interval', '3600']);
  });
  after(async () => {
    await Promise.all([r1?.stop(), r2?.stop()]);
    await stores?.remove();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('imports the old runs.db of replica 1 once: listed by replica 2, the file renamed', async () => {
    const runs = await runsOf(r2);
    assert.deepEqual(runs.map((r) => [r.repositories, r.sentBy, r.receivedAt]), [[['old/release'], 'robot+old', 1_700_000_000_000]]);
    assert.equal(existsSync(join(r1Dir(), 'runs.db')), false);
    assert.equal(existsSync(join(r1Dir(), 'runs.db.imported')), true);
    assert.ok((await gcOf(r2)).some((g) => g.blobs === 42 && g.finishedAt === 1_700_000_000_500), 'the old GC history too');
  });

  it('a mirror run posted to replica 1 is listed by replica 2', async () => {
    const res = await fetch(`${r1.url}/api/v1/mirror-runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(mirrorReport(['ocp4/release'])) });
    const text = await res.text();
    assert.equal(res.status, 201, text);
    const { id } = JSON.parse(text) as { id: number };
    const on2 = await runsOf(r2);
    assert.equal(on2[0]?.id, id);
    assert.deepEqual(on2[0]?.repositories, ['ocp4/release']);
  });

  it('a collection run by replica 2 shows in replica 1\'s GC history', async () => {
    // Replica 2 collects once right after it starts (then hourly); replica 1 never collects (--no-gc).
    let history: Storage['gcRuns'] = [];
    for (let i = 0; i < 100 && history.length < 2; i++) {
      history = await gcOf(r1);
      if (history.length < 2) await sleep(200);
    }
    assert.equal(history.length, 2, 'the imported run and replica 2\'s');
    assert.ok(history[0]!.finishedAt > 1_700_000_000_500, 'newest first: replica 2\'s run');
  });

  it('a restart of replica 1 does not import runs.db again', async () => {
    await r1.stop();
    r1 = await serve(r1Dir(), ['--no-gc']);
    const runs = await runsOf(r1);
    assert.equal(runs.filter((r) => r.sentBy === 'robot+old').length, 1);
    assert.equal(runs.length, 2);
  });
});
