/**
 * `airlock image mirror`: oc image mirror's arguments and flags on airlock's
 * copy engine (digest-preserving, manifest lists kept whole by default,
 * deduplicated, retried, resumable by re-running).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { createCopyContext } from '../../copy/copy-context.js';
import { MappingError, mappingsFromArgs, mappingsFromFile, type Mapping } from '../../copy/mappings.js';
import { MirrorReport, formatBytes } from '../../copy/mirror-report.js';
import { declareScopes, expandMappings, runMirror } from '../../copy/mirror.js';
import { AuthFileError, AuthStore } from '../../transports/registry/auth-file.js';
import { RegistryHub } from '../../transports/registry/registry-hub.js';
import { DEFAULT_RETRY } from '../../transports/registry/retry.js';
import { CliError } from '../cli-error.js';

interface MirrorFlags {
  filename: string[];
  registryConfig?: string;
  insecure?: boolean;
  certificateAuthority?: string;
  dryRun?: boolean;
  skipMissing?: boolean;
  missingFile: string;
  continueOnError?: boolean;
  force?: boolean;
  skipMount?: boolean;
  skipMultipleScopes?: boolean;
  skipSignatures?: boolean;
  filterByOs?: string;
  keepManifestList?: boolean;
  maxPerRegistry: number;
  maxRegistry: number;
  retryTimes: number;
  retryDelay: number;
  output: 'text' | 'json';
  dir?: string;
  fromDir?: string;
}

const positiveInt = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${name} takes a positive integer, got "${v}"`);
  return n;
};

/** `250ms`, `2s`, `1m`, or plain milliseconds. */
export function parseDuration(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v.trim());
  if (!m) throw new CliError(`expected a duration like 500ms, 2s or 1m, got "${v}"`);
  const n = Number(m[1]);
  return Math.round(m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n);
}

async function readMappings(args: string[], files: string[]): Promise<Mapping[]> {
  const out: Mapping[] = [];
  try {
    out.push(...mappingsFromArgs(args));
    for (const f of files) {
      let text: string;
      try {
        text = f === '-' ? await readStdin() : await readFile(f, 'utf8');
      } catch (e) {
        throw new CliError(`cannot read mapping file ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      out.push(...mappingsFromFile(f === '-' ? 'stdin' : f, text));
    }
  } catch (e) {
    if (e instanceof MappingError) throw new CliError(e.message);
    throw e;
  }
  if (out.length === 0) throw new CliError('nothing to mirror: give SRC DST [DST...], SRC=DST pairs, or -f FILE');
  return out;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

function progressLine(report: MirrorReport, total: number, started: number): string {
  const secs = (Date.now() - started) / 1000;
  return `images ${report.stats.images}/${total}  ${formatBytes(report.bytesStreamed)}  ${(secs > 0 ? report.bytesStreamed / 1e6 / secs : 0).toFixed(1)} MB/s  ${secs.toFixed(0)}s`;
}

async function mirror(args: string[], f: MirrorFlags): Promise<void> {
  const started = Date.now();
  let platformFilter: RegExp | undefined;
  if (f.filterByOs !== undefined) {
    try {
      platformFilter = new RegExp(`^(?:${f.filterByOs})$`);
    } catch (e) {
      throw new CliError(`--filter-by-os: ${(e as Error).message}`);
    }
  }
  const mappings = await readMappings(args, f.filename);
  let auth: AuthStore;
  try {
    auth = f.registryConfig !== undefined ? await AuthStore.load(f.registryConfig) : await AuthStore.loadDefault();
  } catch (e) {
    if (e instanceof AuthFileError) throw new CliError(e.message);
    throw e;
  }
  const registries = new RegistryHub({
    auth,
    insecure: () => f.insecure === true,
    caFile: f.certificateAuthority,
    retry: { ...DEFAULT_RETRY, times: f.retryTimes, delayMs: f.retryDelay },
    skipMultipleScopes: f.skipMultipleScopes,
    connections: f.maxPerRegistry + 2,
  });
  const env = { registries, dir: f.dir, fromDir: f.fromDir };
  const report = new MirrorReport();
  const json = f.output === 'json';
  const tty = !json && process.stderr.isTTY === true;
  const warn = (e: Parameters<typeof report.sink>[0]): void => {
    report.sink(e);
    if (e.type === 'warning') process.stderr.write(`${tty ? '\r\x1b[K' : ''}warning: ${e.message}\n`);
  };
  const copy = createCopyContext({
    maxPerStore: f.maxPerRegistry,
    retry: { ...DEFAULT_RETRY, times: f.retryTimes, delayMs: f.retryDelay },
    force: f.force,
    skipMount: f.skipMount,
    platformFilter,
    keepManifestList: f.keepManifestList,
    dryRun: f.dryRun,
    emit: warn,
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const jobs = await expandMappings(env, mappings);
    declareScopes(env, jobs);
    if (tty) timer = setInterval(() => process.stderr.write(`\r\x1b[K${progressLine(report, jobs.length, started)}`), 250);
    const result = await runMirror(jobs, {
      env,
      copy,
      skipMissing: f.skipMissing,
      continueOnError: f.continueOnError,
      skipSignatures: f.skipSignatures,
      parallelImages: f.maxPerRegistry * f.maxRegistry,
      onImage: (o) => {
        if (json || f.dryRun) return;
        if (tty) process.stderr.write('\r\x1b[K');
        process.stdout.write(`${o.digest} ${o.destination}\n`);
        if (o.rewrittenFrom !== undefined) process.stderr.write(`info: ${o.destination}: filtered manifest list ${o.digest} replaces ${o.rewrittenFrom}\n`);
      },
    });
    if (timer) clearInterval(timer);
    if (tty) process.stderr.write('\r\x1b[K');
    const wall = Date.now() - started;
    if (result.missing.length > 0) await writeFile(f.missingFile, `${result.missing.join('\n')}\n`);
    if (json) {
      const doc = { dryRun: f.dryRun === true, images: result.images, attachments: result.attachments, missing: result.missing, errors: result.errors, stats: report.stats, wallSeconds: wall / 1000, requests: registries.totals() };
      process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    } else {
      if (f.dryRun) process.stderr.write(`${report.planText()}\n`);
      for (const e of result.errors) process.stderr.write(`error: ${e.source}: ${e.message}\n`);
      if (result.attachments > 0) process.stderr.write(`info: ${result.attachments} signatures, attestations and referrers copied along\n`);
      if (result.missing.length > 0) process.stderr.write(`info: ${result.missing.length} missing images listed in ${f.missingFile}\n`);
      process.stderr.write(`info: ${f.dryRun ? 'Dry run complete' : 'Mirroring completed'}: ${report.summary(wall, f.dryRun === true)}\n`);
    }
    if (result.errors.length > 0) {
      if (!json) process.stderr.write('error: one or more errors occurred while mirroring images\n');
      process.exitCode = 1;
    }
  } finally {
    if (timer) clearInterval(timer);
    await registries.close();
  }
}

export function imageMirrorCommand(): Command {
  return new Command('mirror')
    .description('Copy images between registries and OCI layouts, digests unchanged (oc image mirror compatible)')
    .argument('[mappings...]', 'SRC DST [DST...], or SRC=DST pairs')
    .option('-f, --filename <file>', 'mapping file (SRC DST... or SRC=DST per line, # comments; - for stdin); repeatable', (v, acc: string[]) => [...acc, v], [])
    .option('-a, --registry-config <file>', 'credentials: pull secret, docker config.json or podman auth.json (default: the standard search)')
    .option('--dir <dir>', 'root of the file:// disk store for writes (and reads without --from-dir); default: the current directory')
    .option('--from-dir <dir>', 'root of the file:// disk store to read from')
    .option('--insecure', 'allow plain http and unverified TLS for every registry')
    .option('--certificate-authority <file>', 'extra PEM CA bundle to trust (ignored with --insecure)')
    .option('--dry-run', 'print the plan (blobs to transfer, mount or skip, total bytes) and change nothing')
    .option('--skip-missing', 'warn about and skip source images that do not exist')
    .option('--missing-file <file>', 'with --skip-missing: where the list of missing images is written', 'missing-images.txt')
    .option('--continue-on-error', 'keep mirroring other images after an error (exit status 1 remains)')
    .option('--force', 'upload blobs and manifests even when the destination has them')
    .option('--skip-mount', 'never cross-repository mount; always upload')
    .option('--skip-signatures', 'do not copy cosign signatures/attestations/SBOMs (sha256-<hex>.sig tags) and OCI referrers along')
    .option('--skip-multiple-scopes', 'request one token scope at a time (for registries that refuse several)')
    .option('--filter-by-os <regex>', 'keep only manifest-list entries whose os/arch[/variant] matches (default: keep the whole list)')
    .option('--keep-manifest-list', 'with --filter-by-os: push a filtered manifest list (new digest) instead of the single match')
    .option('--max-per-registry <n>', 'concurrent requests per registry', positiveInt('--max-per-registry'), 6)
    .option('--max-registry <n>', 'registries worked on at once (images in flight = this x --max-per-registry)', positiveInt('--max-registry'), 4)
    .option('--retry-times <n>', 'retries of a failed request or blob transfer', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new CliError(`--retry-times takes a non-negative integer, got "${v}"`);
      return n;
    }, DEFAULT_RETRY.times)
    .option('--retry-delay <duration>', 'base delay of the exponential backoff (e.g. 250ms, 1s)', parseDuration, DEFAULT_RETRY.delayMs)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action((args: string[], f: MirrorFlags) => mirror(args, f));
}
