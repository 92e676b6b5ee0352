import { GcHistory } from '../../registry/gc-history.js';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { openMetadataStore } from '../../metadata/open-store.js';
import { GarbageCollector, type GcReport } from '../../registry/gc.js';
import { BlobStore } from '../../storage/blob-store.js';
import { createStorageDriver } from '../../storage/create-driver.js';
import { dataPaths } from '../../server/start.js';
import { CliError } from '../cli-error.js';
import { runningServer } from '../pid-file.js';

interface GcFlags {
  dataDir: string;
  storage?: string;
  metadata?: string;
  dryRun?: boolean;
  grace: number;
  uploadTtl: number;
  deleteUntagged?: boolean;
  output: 'text' | 'json';
}

function human(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

function printText(r: GcReport): void {
  const verb = r.dryRun ? 'would remove' : 'removed';
  if (Array.isArray(r.manifests)) for (const m of r.manifests) process.stdout.write(`manifest ${m.repo}@${m.digest} (${human(m.size)})\n`);
  if (Array.isArray(r.blobs)) for (const b of r.blobs) process.stdout.write(`blob ${b.digest} (${human(b.size)})\n`);
  const c = r.reconcile;
  for (const f of c.strayFiles) process.stdout.write(`stray blob file ${f.digest} (${human(f.size)}): no metadata row\n`);
  for (const f of c.relinkedFiles) process.stdout.write(`blob file ${f.digest} (${human(f.size)}): no metadata row, referenced by manifests: re-link\n`);
  for (const f of c.missingFiles) {
    process.stdout.write(`missing blob file ${f.digest} (${human(f.size)}): its row ${r.dryRun ? 'would be ' : ''}dropped; ${f.manifests} manifest references to it\n`);
  }
  if (c.warning) process.stdout.write(`warning: ${c.warning}\n`);
  const count = (x: unknown[] | number) => (Array.isArray(x) ? x.length : x);
  process.stdout.write(
    `gc ${verb}: ${count(r.manifests)} manifests, ${count(r.blobs)} blobs, ${r.uploads} upload sessions; ` +
      `${r.dryRun ? 'reclaimable' : 'reclaimed'} ${human(r.bytes)} (${r.bytes} bytes)\n`,
  );
  const dangling = c.missingFiles.reduce((a, f) => a + f.manifests, 0);
  process.stdout.write(
    `reconcile: ${c.strayFiles.length} stray blob files without a row ${verb.replace('remove', 'delete')} (${c.strayBytes} bytes), ` +
      `${c.youngStrayFiles} younger than the grace period kept, ${c.relinkedFiles.length} ${r.dryRun ? 'to re-link' : 're-linked'}; ` +
      `${c.missingFiles.length} blob rows without a file ${r.dryRun ? 'would be dropped' : 'dropped'} (${c.missingBytes} bytes, ` +
      `${dangling} manifest references to them)\n`,
  );
}

export function gcCommand(): Command {
  return new Command('gc')
    .description(
      'Collect unreferenced manifests, blobs and abandoned uploads, and reconcile blob files with the metadata (the server also does this online)',
    )
    .option('--data-dir <dir>', 'the registry data directory', process.env.AIRLOCK_DATA_DIR ?? './airlock-data')
    .option('--storage <url>', 'the blob storage airlock serve uses, when not the data directory: s3://BUCKET[/PREFIX]?endpoint=…&region=… [env AIRLOCK_STORAGE]', process.env.AIRLOCK_STORAGE || undefined)
    .option('--metadata <url>', 'the PostgreSQL metadata store airlock serve uses, when not the data directory: postgres://USER@HOST:PORT/DB (password in the URL or PGPASSWORD) [env AIRLOCK_METADATA]', process.env.AIRLOCK_METADATA || undefined)
    .option('--dry-run', 'report what would be removed and the bytes reclaimed; change nothing (safe while serving)')
    .option('--grace <seconds>', 'keep unreferenced content younger than this', (v) => Number(v), 3600)
    .option('--upload-ttl <seconds>', 'purge upload sessions idle longer than this', (v) => Number(v), 86400)
    .option('--delete-untagged', 'also collect manifests that never had a tag or parent')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      '\nExamples:\n  airlock gc --data-dir /var/lib/airlock --dry-run\n' +
        '  PGPASSWORD=… airlock gc --dry-run --metadata postgres://airlock@db.example:5432/airlock --storage "s3://mirror?endpoint=…&region=…"',
    )
    .action(async (f: GcFlags) => {
      const dataDir = resolve(f.dataDir);
      const paths = dataPaths(dataDir);
      if (f.metadata === undefined && !existsSync(paths.metadata)) throw new CliError(`no registry data in ${dataDir} (missing metadata.db); pass --data-dir or --metadata`);
      if (!Number.isFinite(f.grace) || !Number.isFinite(f.uploadTtl)) throw new CliError('--grace and --upload-ttl take seconds');
      const pid = runningServer(dataDir);
      if (!f.dryRun && pid !== undefined && f.metadata === undefined) {
        throw new CliError(`airlock serve (pid ${pid}) is using ${dataDir} and collects garbage online; use --dry-run to preview, or stop it first`);
      }
      // On shared stores a run takes the replicas' GC leadership, so it never overlaps their collectors.
      const meta = await openMetadataStore(f.metadata, paths.metadata).then((o) => o.store, (e: Error) => {
        throw new CliError(e.message);
      });
      // A real collection joins the GC history the console shows (the store's run log); a dry run is not one.
      const history = f.dryRun ? undefined : new GcHistory(20, meta.runLog);
      try {
        const gc = new GarbageCollector(meta, new BlobStore((await createStorageDriver(f.storage, paths.storage)).driver, { locks: meta.blobLocks }), {
          graceMs: f.grace * 1000,
          uploadTtlMs: f.uploadTtl * 1000,
          deleteUntagged: !!f.deleteUntagged,
        }, async (r) => {
          await history?.record(r).catch((e: Error) => process.stderr.write(`warning: the collection is not in the GC history: ${e.message}\n`));
        });
        const report = f.dryRun ? await gc.plan() : await gc.run();
        if (f.output === 'json') process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        else if (report.skipped) process.stdout.write(`gc skipped: ${report.skipped}; nothing was changed\n`);
        else printText(report);
      } finally {
        await meta.close();
      }
    });
}
