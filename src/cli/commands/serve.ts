import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { authEnabled, loadRegistryConfig } from '../../config/registry-config.js';
import { startRegistry, type RunningRegistry } from '../../server/start.js';
import { trustInstructions } from '../../tls/trust-instructions.js';
import { CliError } from '../cli-error.js';
import { removePidFile, runningServer, writePidFile } from '../pid-file.js';
import { reachableAddress, writeServeAddress } from '../serve-address.js';

interface ServeFlags {
  config?: string;
  listen?: string;
  dataDir?: string;
  storage?: string;
  storageRedirect?: boolean;
  metadata?: string;
  insecureHttp?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  san?: string[];
  publicUrl?: string;
  auth?: boolean;
  anonymousPull?: string[];
  trustedProxy?: string[];
  tokenTtl?: number;
  logLevel?: string;
  sparseRepo?: string[];
  sparseIndexRepo?: string[];
  manifestMaxBytes?: number;
  gc?: boolean;
  gcInterval?: number;
  gcGrace?: number;
  uploadTtl?: number;
  gcDeleteUntagged?: boolean;
  uploadIdleTimeout?: number;
  maxUploadsPerAccount?: number;
  maxUploadsPerAddress?: number;
  minFreeSpace?: string;
}

const num = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new CliError(`expected a non-negative number, got "${v}"`);
  return n;
};
const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** What a user needs after start: how to trust the CA, whether auth is on, and the one-time admin password. */
function startupNotes(reg: RunningRegistry, authOn: boolean): string {
  const lines: string[] = [];
  const managed = reg.tls?.managed;
  const url = new URL(reg.url);
  // Listening on every interface: name the host by its (fully qualified) name, as clients on other hosts will.
  const wildcard = /^(0\.0\.0\.0|\[?::\]?)?:/.test(reg.config.listen);
  const hostName = managed?.names.find((n) => n.includes('.') && !/^[\d.]+$/.test(n)) ?? managed?.names[0];
  const hostPort = wildcard && hostName ? `${hostName}:${url.port}` : url.host;
  if (hostPort !== url.host) lines.push(`  clients reach it as ${url.protocol}//${hostPort}`);
  if (!reg.tls) {
    lines.push('  WARNING: plain HTTP (--insecure-http): clients need --tls-verify=false or an insecure-registry entry');
  } else if (managed) {
    lines.push(`  TLS: server certificate for ${managed.names.join(', ')}, valid until ${managed.notAfter.toISOString().slice(0, 10)}${managed.issued ? ` (issued now: ${managed.issued})` : ''}`);
    lines.push(`  CA certificate${managed.caCreated ? ' (created now)' : ''}: ${managed.paths.caCert}`);
    lines.push('  Trust it on every host that pulls or pushes:');
    for (const l of trustInstructions(managed.paths.caCert, hostPort)) lines.push(`    ${l}`);
    lines.push('  More names (FQDN, other IPs): restart with --san NAME; `airlock cert renew` re-issues from the same CA.');
  } else {
    lines.push(`  TLS: certificate ${reg.tls.certFile}`);
  }
  if (!authOn) {
    lines.push('  WARNING: no authentication: anyone who can connect may push and delete (add --auth to require logins)');
  } else {
    const anon = reg.config.auth.anonymousPull;
    lines.push(`  authentication: on (tokens at ${reg.config.publicUrl ?? reg.url}/token); anonymous pull: ${anon.length ? anon.join(', ') : 'off'}`);
    const pw = reg.auth?.adminPassword;
    if (pw !== undefined) {
      lines.push('  Created account "admin". Its password is shown only this once; store it now:');
      lines.push(`    ${pw}`);
      lines.push(`  Then: podman login ${hostPort} -u admin   |   airlock robot add NAME --pull 'ocp4/**'   (see airlock robot --help)`);
    }
  }
  return lines.map((l) => `${l}\n`).join('');
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('Run the mirror registry (OCI Distribution v1.1 / Docker Registry V2)')
    .addOption(new Option('-c, --config <file>', 'YAML configuration file (keys as in docs/configuration.md)').env('AIRLOCK_CONFIG'))
    .option('--listen <addr>', 'address to listen on, HOST:PORT or [IPv6]:PORT [env AIRLOCK_LISTEN] (default 0.0.0.0:5000)')
    .option('--data-dir <dir>', 'where blobs and metadata live [env AIRLOCK_DATA_DIR] (default ./airlock-data)')
    .option('--storage <url>', 'keep blobs in S3 instead of <data-dir>/storage: s3://BUCKET[/PREFIX]?endpoint=URL&region=R&forcePathStyle=true; credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE, never here [env AIRLOCK_STORAGE]')
    .option('--metadata <url>', 'keep metadata in PostgreSQL instead of <data-dir>/metadata.db, shared by every replica: postgres://USER[:PASSWORD]@HOST:PORT/DB (or the password in PGPASSWORD / ~/.pgpass; never logged) [env AIRLOCK_METADATA]')
    .option('--storage-redirect', 'answer blob GETs with a 307 to a presigned object-store URL (S3 only; off by default: in an air gap clients often cannot reach the store) [env AIRLOCK_STORAGE_REDIRECT]')
    .option('--insecure-http', 'serve plain HTTP instead of TLS [env AIRLOCK_INSECURE_HTTP]')
    .option('--tls-cert <file>', 'PEM server certificate (chain) [env AIRLOCK_TLS_CERT]')
    .option('--tls-key <file>', 'PEM private key of the certificate [env AIRLOCK_TLS_KEY]')
    .option('--san <name>', 'extra DNS name or IP for the generated server certificate (repeatable) [env AIRLOCK_TLS_SANS, comma-separated]', collect)
    .option('--trusted-proxy <cidr>', 'a balancer or reverse proxy (address or CIDR) whose X-Forwarded-For names the client, for login limits and logs (repeatable; only a direct peer in the list is believed) [env AIRLOCK_TRUSTED_PROXIES, comma-separated]', collect)
    .option('--public-url <url>', 'URL clients use to reach the registry, for the token realm (default: from the Host header) [env AIRLOCK_PUBLIC_URL]')
    .option('--auth', 'require authentication (the default, except with --insecure-http) [env AIRLOCK_AUTH=true]')
    .option('--no-auth', 'serve without authentication: anyone who can connect may push and delete [env AIRLOCK_AUTH=false]')
    .option('--anonymous-pull <glob>', 'let anyone pull repositories matching the glob, e.g. "public/**" (repeatable) [env AIRLOCK_ANONYMOUS_PULL]', collect)
    .option('--token-ttl <seconds>', 'lifetime of access tokens [env AIRLOCK_TOKEN_TTL_SECONDS] (default 3600)', num)
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent [env AIRLOCK_LOG_LEVEL] (default info)')
    .option('--sparse-repo <glob>', 'repositories whose manifests may reference absent layers, config or child manifests, e.g. "ocp4/**" (repeatable) [env AIRLOCK_SPARSE_REPOS, comma-separated]', collect)
    .option('--sparse-index-repo <glob>', 'alias of --sparse-repo [env AIRLOCK_SPARSE_INDEX_REPOS]', collect)
    .option('--manifest-max-bytes <n>', 'largest manifest accepted [env AIRLOCK_MANIFEST_MAX_BYTES] (default 4194304)', num)
    .option('--no-gc', 'disable the background garbage collector [env AIRLOCK_GC_ENABLED=false]')
    .option('--gc-interval <seconds>', 'how often the collector runs [env AIRLOCK_GC_INTERVAL_SECONDS] (default 600)', num)
    .option('--gc-grace <seconds>', 'unreferenced content younger than this is kept [env AIRLOCK_GC_GRACE_SECONDS] (default 3600)', num)
    .option('--upload-ttl <seconds>', 'abandoned upload sessions are purged after this [env AIRLOCK_UPLOAD_TTL_SECONDS] (default 86400)', num)
    .option('--upload-idle-timeout <seconds>', 'end an upload body that sends no byte for this long; the session keeps what arrived [env AIRLOCK_UPLOAD_IDLE_TIMEOUT_SECONDS] (default 60)', num)
    .option('--max-uploads-per-account <n>', 'open upload sessions one account may hold [env AIRLOCK_MAX_UPLOADS_PER_ACCOUNT] (default 1000)', num)
    .option('--max-uploads-per-address <n>', 'open upload sessions one client address may hold [env AIRLOCK_MAX_UPLOADS_PER_ADDRESS] (default 1000)', num)
    .option('--min-free-space <size>', '/readyz answers 503 while less is free on the data directory, e.g. 500M, 2G; 0 to disable [env AIRLOCK_MIN_FREE_SPACE] (default 1G)')
    .option('--gc-delete-untagged', 'also collect manifests that never had a tag (off: tagless push is normal for mirrors) [env AIRLOCK_GC_DELETE_UNTAGGED]')
    .addHelpText(
      'after',
      '\nBlobs in S3 (Ceph RGW, MinIO, AWS), metadata still in the data directory:\n' +
        '  AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… airlock serve --storage "s3://mirror?endpoint=http://rgw.example:7480&region=us-east-1&forcePathStyle=true"',
    )
    .addHelpText(
      'after',
      '\nOne of N replicas behind a balancer (metadata in PostgreSQL, blobs in S3; see docs/high-availability.md):\n' +
        '  PGPASSWORD=… AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… airlock serve --metadata postgres://airlock@db.example:5432/airlock \\\n' +
        '    --storage "s3://mirror?endpoint=http://rgw.example:7480&region=us-east-1&forcePathStyle=true"',
    )
    .addHelpText('after', '\nPrecedence: flags > environment > config file > defaults.\nSIGTERM/SIGINT drain in-flight requests before exit.')
    .action(async (f: ServeFlags) => {
      const gc: Record<string, unknown> = {};
      if (f.gc === false) gc.enabled = false;
      if (f.gcInterval !== undefined) gc.intervalSeconds = f.gcInterval;
      if (f.gcGrace !== undefined) gc.graceSeconds = f.gcGrace;
      if (f.uploadTtl !== undefined) gc.uploadTtlSeconds = f.uploadTtl;
      if (f.gcDeleteUntagged) gc.deleteUntagged = true;
      const uploads: Record<string, unknown> = {};
      if (f.uploadIdleTimeout !== undefined) uploads.idleTimeoutSeconds = f.uploadIdleTimeout;
      if (f.maxUploadsPerAccount !== undefined) uploads.maxOpenPerAccount = f.maxUploadsPerAccount;
      if (f.maxUploadsPerAddress !== undefined) uploads.maxOpenPerAddress = f.maxUploadsPerAddress;
      const auth: Record<string, unknown> = {};
      if (f.auth !== undefined) auth.enabled = f.auth;
      if (f.anonymousPull !== undefined) auth.anonymousPull = f.anonymousPull;
      if (f.tokenTtl !== undefined) auth.tokenTtlSeconds = f.tokenTtl;
      const config = loadRegistryConfig({
        ...(f.config ? { file: f.config } : {}),
        env: process.env,
        flags: {
          listen: f.listen,
          dataDir: f.dataDir,
          storage: f.storage,
          storageRedirect: f.storageRedirect,
          metadata: f.metadata,
          insecureHttp: f.insecureHttp,
          tlsCert: f.tlsCert,
          tlsKey: f.tlsKey,
          tlsSans: f.san,
          publicUrl: f.publicUrl,
          trustedProxies: f.trustedProxy,
          logLevel: f.logLevel,
          sparseRepos: f.sparseRepo || f.sparseIndexRepo ? [...(f.sparseRepo ?? []), ...(f.sparseIndexRepo ?? [])] : undefined,
          manifestMaxBytes: f.manifestMaxBytes,
          minFreeSpace: f.minFreeSpace,
          ...(Object.keys(gc).length ? { gc } : {}),
          ...(Object.keys(uploads).length ? { uploads } : {}),
          ...(Object.keys(auth).length ? { auth } : {}),
        },
      });
      const dataDir = resolve(config.dataDir);
      const other = runningServer(dataDir);
      if (other !== undefined && other !== process.pid) {
        throw new CliError(`the data directory ${dataDir} is in use by airlock serve (pid ${other}); stop it or pick another --data-dir`);
      }
      const reg = await startRegistry(config);
      writePidFile(dataDir);
      writeServeAddress(dataDir, reachableAddress(config.listen, reg.port, config.publicUrl));
      // One write: whoever waits for the "listening" line sees the whole banner with it.
      const storageLine = config.storage === undefined ? '' : `  blob storage: ${reg.storageWhere}${config.storageRedirect ? ' (blob GETs redirect to presigned URLs)' : ''}\n`;
      const metadataLine = config.metadata === undefined ? '' : `  metadata: ${reg.metadataWhere}\n`;
      process.stdout.write(`airlock registry listening on ${reg.url}\n  data directory: ${dataDir}\n${storageLine}${metadataLine}${startupNotes(reg, authEnabled(config))}`);
      const stop = (sig: string) => {
        reg.app.log.info({ signal: sig }, 'shutting down: draining in-flight requests');
        void reg.close().then(
          () => {
            removePidFile(dataDir);
            process.exit(0);
          },
          (e: unknown) => {
            reg.app.log.error({ err: e }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGHUP', () => {
        reg.reloadTls().catch((e: unknown) => reg.app.log.error({ err: e }, 'TLS reload failed; still serving the previous certificate'));
      });
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
}
