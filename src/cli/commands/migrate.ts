import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { formatBytes } from '../../copy/mirror-report.js';
import { openMetadataStore } from '../../metadata/open-store.js';
import type { MetadataStore } from '../../metadata/store.js';
import { openAuthStore } from '../../auth/setup.js';
import type { AuthStore } from '../../auth/store.js';
import { readAuthSource } from '../../migrate/auth-source.js';
import { migrateAccounts, type AccountsReport } from '../../migrate/migrate-accounts.js';
import { migrate, type MigrateEvents, type MigrateReport } from '../../migrate/migrate.js';
import { SourceDatabase } from '../../migrate/source-snapshot.js';
import { dataPaths } from '../../server/start.js';
import type { StorageDriver } from '../../storage/driver.js';
import { FilesystemDriver } from '../../storage/fs-driver.js';
import { describeS3Location, parseS3Location } from '../../storage/s3/s3-location.js';
import { CliError } from '../cli-error.js';
import { runningServer } from '../pid-file.js';

interface MigrateFlags {
  dataDir: string;
  toMetadata: string;
  toStorage: string;
  rehash?: boolean;
  concurrency: number;
  output: 'text' | 'json';
}


/** Progress on stderr: one redrawn line on a terminal, plain lines elsewhere (one per blob, one per 100 manifests). */
function progressEvents(tty: boolean): { events: MigrateEvents; end(): void } {
  const err = process.stderr;
  let line = '';
  let bytes = 0;
  let lastDraw = 0;
  const draw = (s: string, force = false): void => {
    line = s;
    const t = Date.now();
    if (!force && t - lastDraw < 100) return;
    lastDraw = t;
    err.write(`\r\x1b[K${line}`);
  };
  const events: MigrateEvents = {
    phase(name, total, pass) {
      if (tty) draw(`migrate pass ${pass}: ${name} 0/${total}`, true);
      else err.write(`migrate pass ${pass}: ${total} ${name}\n`);
    },
    bytes(n) {
      bytes += n;
    },
    blob(done, total, digest, size, outcome) {
      if (tty) draw(`migrate: blobs ${done}/${total}, ${formatBytes(bytes)} copied`, done === total);
      else err.write(`blob ${done}/${total} ${digest} ${formatBytes(size)} ${outcome}\n`);
    },
    manifest(done, total, m, outcome) {
      if (tty) draw(`migrate: manifests ${done}/${total}`, done === total);
      else if (outcome === 'skipped') err.write(`manifest ${m.repo}@${m.digest} skipped\n`);
      else if (done % 100 === 0 || done === total) err.write(`manifests ${done}/${total}\n`);
    },
  };
  return {
    events,
    end: () => {
      if (tty && line !== '') err.write(`\r\x1b[K${line}\n`);
      line = '';
    },
  };
}

function printText(r: MigrateReport, to: { metadata: string; storage: string }): void {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  const b = r.blobs;
  out(`migrated to ${to.metadata} and ${to.storage} in ${r.passes} pass${r.passes === 1 ? '' : 'es'}`);
  out(`blobs: ${b.total} (${b.copied} copied, ${formatBytes(b.bytesCopied)}; ${b.reverified} already there and re-verified; ${b.trusted} already verified)`);
  out(`manifests: ${r.manifests.total} (${r.manifests.written} written, ${r.manifests.present} already there), tags: ${r.tags}, repositories: ${r.repositories}`);
  const rl = r.runLog;
  out(`run log: ${rl.mirrorRuns.total} mirror runs (${rl.mirrorRuns.copied} copied, ${rl.mirrorRuns.present} already there), ${rl.gcRuns.total} GC runs (${rl.gcRuns.copied} copied, ${rl.gcRuns.present} already there)`);
  if (r.unreferencedBlobs > 0) out(`left behind: ${r.unreferencedBlobs} unreferenced blobs (garbage the source's collector will take)`);
  for (const d of b.missingAtSource) out(`blob ${d}: its row is in the source but its file is gone (not migrated)`);
  for (const s of r.manifests.skipped) out(`manifest ${s.repo}@${s.digest} not migrated: ${s.reason}`);
  if (r.sourceChanged) out('the source changed during the migration: stop pushes to it, then run airlock migrate once more (it copies only what is new)');
}

function printAccounts(r: AccountsReport): void {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  if (!r.source) {
    out('accounts: none at the source (no auth/auth.db: it never ran with authentication)');
    return;
  }
  const a = r.accounts;
  out(`accounts: ${a.total} (${a.added} added, ${a.updated} updated, ${a.present} already there), refresh tokens: ${r.refreshTokens.copied} copied`);
  const secret = (what: string, o: AccountsReport['signingKey']) =>
    o === 'shared' ? `${what}: shared with the replicas` : o === 'kept' ? `${what}: the destination has its own and keeps it` : `${what}: none at the source`;
  out(`${secret('token signing key', r.signingKey)}; ${secret('managed CA', r.ca)}`);
  if (r.signingKey === 'kept') out('  tokens issued by the embedded server are not valid on the replicas: clients log in again');
  for (const c of a.conflicts) out(`account ${c.name} not migrated: ${c.reason}`);
}

function checkedDataDir(dir: string): string {
  const dataDir = resolve(dir);
  if (!existsSync(dataDir) || !statSync(dataDir).isDirectory()) throw new CliError(`data directory ${dataDir} does not exist; pass --data-dir of the embedded airlock serve`);
  if (!existsSync(dataPaths(dataDir).metadata)) throw new CliError(`no embedded registry in ${dataDir} (missing metadata.db); pass --data-dir of the embedded airlock serve`);
  return dataDir;
}

export function migrateCommand(): Command {
  return new Command('migrate')
    .description(
      'Move an embedded install (SQLite + the data directory) into PostgreSQL + S3 for highly available replicas: every blob is verified at the destination, accounts (users, robots, refresh tokens, the signing key and CA) follow; resumable; the source is only read and may keep serving',
    )
    .option('--data-dir <dir>', 'the embedded registry data directory (read only)', process.env.AIRLOCK_DATA_DIR ?? './airlock-data')
    .requiredOption('--to-metadata <url>', 'the PostgreSQL metadata store: postgres://USER@HOST:PORT/DB (password in PGPASSWORD or ~/.pgpass; never printed)')
    .requiredOption('--to-storage <url>', 'the S3 blob storage: s3://BUCKET[/PREFIX]?endpoint=…&region=…&forcePathStyle=true (credentials from AWS_* variables)')
    .option('--rehash', 'read back and hash again blobs an earlier run already verified (default: trust them)')
    .option('--concurrency <n>', 'blobs copied at once', (v) => Number(v), 4)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      '\nExample:\n  AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… PGPASSWORD=… airlock migrate --data-dir /var/lib/airlock \\\n' +
        '    --to-metadata postgres://airlock@db.example:5432/airlock --to-storage "s3://mirror?endpoint=https://rgw.example&region=default&forcePathStyle=true"\n' +
        '\nThe source may keep serving while this runs. Content pushed meanwhile is picked up by another pass; to finish,\n' +
        'stop pushes to the source and run the same command once more (it only copies what is new). A re-run after an\n' +
        'interruption (even kill -9) skips what is already verified at the destination.\n',
    )
    .action(async (f: MigrateFlags) => {
      if (!Number.isInteger(f.concurrency) || f.concurrency < 1 || f.concurrency > 64) throw new CliError('--concurrency takes a number from 1 to 64');
      const dataDir = checkedDataDir(f.dataDir);
      let loc;
      try {
        loc = parseS3Location(f.toStorage);
      } catch (e) {
        throw new CliError(`--to-storage: ${(e as Error).message.replace(/--storage/g, '--to-storage')}`);
      }
      if (!/^postgres(ql)?:\/\//.test(f.toMetadata)) throw new CliError('--to-metadata: expected postgres://USER@HOST:PORT/DATABASE');
      const paths = dataPaths(dataDir);
      const { S3Driver } = await import('../../storage/s3/s3-driver.js');
      const dst: StorageDriver & { close(): void } = new S3Driver(loc);
      const storageWhere = describeS3Location(loc);
      let source: SourceDatabase | undefined;
      let meta: MetadataStore | undefined;
      let auth: AuthStore | undefined;
      const progress = progressEvents(f.output !== 'json' && !!process.stderr.isTTY);
      try {
        const opened = await openMetadataStore(f.toMetadata, paths.metadata).catch((e: Error) => {
          throw new CliError(`--to-metadata: ${e.message}`);
        });
        meta = opened.store;
        await dst.check().catch((e: Error) => {
          throw new CliError(`--to-storage: ${e.message}`);
        });
        try {
          source = new SourceDatabase(paths.metadata);
        } catch (e) {
          throw new CliError(`cannot read ${paths.metadata}: ${(e as Error).message}`);
        }
        const pid = runningServer(dataDir);
        if (pid !== undefined && f.output !== 'json') process.stderr.write(`the source is served by airlock serve (pid ${pid}); it is only read\n`);
        const report = await migrate(source, new FilesystemDriver(paths.storage), meta, dst, {
          rehashAll: !!f.rehash,
          concurrency: f.concurrency,
          events: progress.events,
        }).catch((e: Error) => {
          progress.end();
          // Everything verified so far stays: a re-run continues from there.
          throw new CliError(`migration stopped: ${e.message.split('\n')[0]}; run the same command again to continue`);
        });
        progress.end();
        // Accounts (auth.db, the signing key, the CA) into the shared auth store.
        auth = await openAuthStore(dataDir, f.toMetadata).catch((e: Error) => {
          throw new CliError(`--to-metadata: ${e.message}`);
        });
        let src;
        try {
          src = readAuthSource(dataDir, Date.now());
        } catch (e) {
          throw new CliError(`cannot read the accounts of ${dataDir}: ${(e as Error).message}`);
        }
        const accounts = await migrateAccounts(src, auth).catch((e: Error) => {
          throw new CliError(`migrating accounts stopped: ${e.message.split('\n')[0]}; run the same command again to continue`);
        });
        if (f.output === 'json') {
          process.stdout.write(`${JSON.stringify({ ...report, accounts, to: { metadata: opened.where, storage: storageWhere } }, null, 2)}\n`);
        } else {
          printText(report, { metadata: opened.where, storage: storageWhere });
          printAccounts(accounts);
        }
        const failed = report.manifests.skipped.length + report.blobs.missingAtSource.length + accounts.accounts.conflicts.length;
        if (failed > 0) process.exitCode = 1;
      } finally {
        progress.end();
        source?.close();
        await meta?.close();
        await auth?.close();
        dst.close();
      }
    });
}
