import { createRequire } from 'node:module';
import { z } from 'zod';
import { isValidGlob } from '../auth/permissions.js';
import { isValidCidr } from '../util/client-address.js';
import { INPUT_LIMITS, InputFileError, readInputFileSync } from '../util/input-file.js';
import { parseByteSize } from './byte-size.js';
import { ConfigError } from './config-error.js';

export { ConfigError };

const MiB = 1024 * 1024;

/** A byte count, or a size text such as `500M` or `2G`. */
const ByteSize = z.union([z.number().int().nonnegative(), z.string()]).transform((v, ctx) => {
  const n = typeof v === 'number' ? v : parseByteSize(v);
  if (n === undefined) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `invalid size ${JSON.stringify(v)}: expected bytes or a size such as 500M, 2G` });
    return z.NEVER;
  }
  return n;
});

/** Every `airlock serve` setting. Flags > environment (AIRLOCK_*) > YAML file > defaults. */
export const RegistryConfigSchema = z
  .object({
    listen: z.string().default('0.0.0.0:5000'),
    dataDir: z.string().default('./airlock-data'),
    insecureHttp: z.boolean().default(false),
    tlsCert: z.string().optional(),
    tlsKey: z.string().optional(),
    /** Extra subject alternative names for the generated server certificate. */
    tlsSans: z.array(z.string()).default([]),
    /** Base URL clients reach the registry at (token realm); default: scheme + the request's Host header. */
    publicUrl: z
      .string()
      .regex(/^https?:\/\/[^/?#\s]+\/?$/, 'expected http(s)://HOST[:PORT]')
      .optional(),
    /**
     * Where blob bytes live: unset for the filesystem under dataDir (the
     * default), or s3://BUCKET[/PREFIX]?endpoint=…&region=…&forcePathStyle=true.
     * Credentials never go here: they come from the AWS environment variables and files.
     */
    storage: z
      .string()
      .regex(/^s3:\/\//, 'expected s3://BUCKET[/PREFIX]?endpoint=…&region=… (leave unset for the filesystem)')
      .optional(),
    /**
     * Where metadata lives: unset for SQLite in dataDir (the default), or
     * postgres://USER[:PASSWORD]@HOST:PORT/DB (the password may instead come
     * from PGPASSWORD or ~/.pgpass; it is never logged).
     */
    metadata: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'expected postgres://USER@HOST:PORT/DATABASE (leave unset for SQLite in the data directory)')
      .optional(),
    /**
     * Reverse proxies (addresses or CIDRs) whose X-Forwarded-For names the
     * client: login limits, upload caps and logs count that address. Only a
     * direct peer in this list is believed; by default none is.
     */
    trustedProxies: z.array(z.string().refine(isValidCidr, 'expected an address or CIDR, e.g. 10.0.0.0/8 or 127.0.0.1')).default([]),
    /** Blob GETs answer 307 to a presigned object-store URL (S3 only; off: in an air gap clients often cannot reach the store). */
    storageRedirect: z.boolean().default(false),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    manifestMaxBytes: z.number().int().positive().default(4 * MiB),
    maxPageSize: z.number().int().positive().default(10000),
    /** Repository globs whose manifests may reference absent layers, config or children (sparse mirrors). */
    sparseRepos: z.array(z.string().refine(isValidGlob, 'invalid repository glob')).default([]),
    /** Older name of sparseRepos (then only indexes could be sparse); merged into it before validation. */
    sparseIndexRepos: z.array(z.string()).optional(),
    shutdownTimeoutSeconds: z.number().positive().default(30),
    /** /readyz answers 503 while less than this is free on the data directory (0: never). */
    minFreeSpace: ByteSize.default('1G'),
    uploads: z
      .object({
        /** An upload body that sends no byte for this long is ended; the session keeps what arrived. */
        idleTimeoutSeconds: z.number().positive().default(60),
        /** Open upload sessions per account (authenticated registries). */
        maxOpenPerAccount: z.number().int().min(1).default(1000),
        /** Open upload sessions per client address. */
        maxOpenPerAddress: z.number().int().min(1).default(1000),
      })
      .strict()
      .default({}),
    gc: z
      .object({
        enabled: z.boolean().default(true),
        intervalSeconds: z.number().positive().default(600),
        graceSeconds: z.number().nonnegative().default(3600),
        uploadTtlSeconds: z.number().nonnegative().default(86400),
        deleteUntagged: z.boolean().default(false),
      })
      .strict()
      .default({}),
    auth: z
      .object({
        /** Token/Basic authentication. Default: on, except with insecureHttp (plain HTTP stays open unless asked). */
        enabled: z.boolean().optional(),
        anonymousPull: z.array(z.string().refine(isValidGlob, 'invalid repository glob')).default([]),
        service: z.string().regex(/^[\w.:-]{1,100}$/).default('airlock'),
        tokenTtlSeconds: z.number().int().min(1).default(3600),
        refreshTokenTtlSeconds: z.number().int().min(1).default(7 * 86400),
        loginFailureLimit: z.number().int().min(1).default(10),
        loginFailureWindowSeconds: z.number().positive().default(60),
        /** Failed logins per user from all addresses together (the slower bound). */
        loginUserFailureLimit: z.number().int().min(1).default(50),
        loginUserFailureWindowSeconds: z.number().positive().default(900),
        /** A console session ends after this long without a request. */
        consoleIdleSeconds: z.number().int().min(1).max(86400).default(900),
      })
      .strict()
      .default({}),
  })
  .strict();

export type RegistryConfig = z.output<typeof RegistryConfigSchema>;
export type RegistryConfigInput = z.input<typeof RegistryConfigSchema>;

/** Whether the registry authenticates: explicit `auth.enabled`, else on unless serving plain HTTP. */
export function authEnabled(c: RegistryConfig): boolean {
  return c.auth.enabled ?? !c.insecureHttp;
}

/** Environment variables and the config keys they set. */
export const ENV_KEYS: Record<string, { path: string[]; type: 'string' | 'boolean' | 'number' | 'list' }> = {
  AIRLOCK_LISTEN: { path: ['listen'], type: 'string' },
  AIRLOCK_DATA_DIR: { path: ['dataDir'], type: 'string' },
  AIRLOCK_INSECURE_HTTP: { path: ['insecureHttp'], type: 'boolean' },
  AIRLOCK_TLS_CERT: { path: ['tlsCert'], type: 'string' },
  AIRLOCK_TLS_KEY: { path: ['tlsKey'], type: 'string' },
  AIRLOCK_TLS_SANS: { path: ['tlsSans'], type: 'list' },
  AIRLOCK_PUBLIC_URL: { path: ['publicUrl'], type: 'string' },
  AIRLOCK_TRUSTED_PROXIES: { path: ['trustedProxies'], type: 'list' },
  AIRLOCK_AUTH: { path: ['auth', 'enabled'], type: 'boolean' },
  AIRLOCK_ANONYMOUS_PULL: { path: ['auth', 'anonymousPull'], type: 'list' },
  AIRLOCK_TOKEN_TTL_SECONDS: { path: ['auth', 'tokenTtlSeconds'], type: 'number' },
  AIRLOCK_REFRESH_TOKEN_TTL_SECONDS: { path: ['auth', 'refreshTokenTtlSeconds'], type: 'number' },
  AIRLOCK_LOG_LEVEL: { path: ['logLevel'], type: 'string' },
  AIRLOCK_STORAGE: { path: ['storage'], type: 'string' },
  AIRLOCK_STORAGE_REDIRECT: { path: ['storageRedirect'], type: 'boolean' },
  AIRLOCK_METADATA: { path: ['metadata'], type: 'string' },
  AIRLOCK_MANIFEST_MAX_BYTES: { path: ['manifestMaxBytes'], type: 'number' },
  AIRLOCK_SPARSE_REPOS: { path: ['sparseRepos'], type: 'list' },
  AIRLOCK_SPARSE_INDEX_REPOS: { path: ['sparseIndexRepos'], type: 'list' },
  AIRLOCK_GC_ENABLED: { path: ['gc', 'enabled'], type: 'boolean' },
  AIRLOCK_GC_INTERVAL_SECONDS: { path: ['gc', 'intervalSeconds'], type: 'number' },
  AIRLOCK_GC_GRACE_SECONDS: { path: ['gc', 'graceSeconds'], type: 'number' },
  AIRLOCK_UPLOAD_TTL_SECONDS: { path: ['gc', 'uploadTtlSeconds'], type: 'number' },
  AIRLOCK_UPLOAD_IDLE_TIMEOUT_SECONDS: { path: ['uploads', 'idleTimeoutSeconds'], type: 'number' },
  AIRLOCK_MAX_UPLOADS_PER_ACCOUNT: { path: ['uploads', 'maxOpenPerAccount'], type: 'number' },
  AIRLOCK_MAX_UPLOADS_PER_ADDRESS: { path: ['uploads', 'maxOpenPerAddress'], type: 'number' },
  AIRLOCK_MIN_FREE_SPACE: { path: ['minFreeSpace'], type: 'string' },
  AIRLOCK_GC_DELETE_UNTAGGED: { path: ['gc', 'deleteUntagged'], type: 'boolean' },
};


type Obj = Record<string, unknown>;

function setPath(target: Obj, path: string[], value: unknown): void {
  let o = target;
  for (const k of path.slice(0, -1)) o = (o[k] ??= {}) as Obj;
  o[path[path.length - 1]!] = value;
}

function deepMerge(a: Obj, b: Obj): Obj {
  const out: Obj = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) continue;
    const prev = out[k];
    out[k] = typeof v === 'object' && v && !Array.isArray(v) && typeof prev === 'object' && prev && !Array.isArray(prev)
      ? deepMerge(prev as Obj, v as Obj)
      : v;
  }
  return out;
}

function fromEnv(env: NodeJS.ProcessEnv): Obj {
  const out: Obj = {};
  for (const [name, spec] of Object.entries(ENV_KEYS)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    let v: unknown = raw;
    if (spec.type === 'boolean') {
      if (!/^(1|0|true|false|yes|no)$/i.test(raw)) throw new ConfigError(`${name}=${raw}: expected true or false`);
      v = /^(1|true|yes)$/i.test(raw);
    } else if (spec.type === 'number') {
      v = Number(raw);
      if (!Number.isFinite(v)) throw new ConfigError(`${name}=${raw}: expected a number`);
    } else if (spec.type === 'list') {
      v = raw.split(',').map((s) => s.trim()).filter(Boolean);
    }
    setPath(out, spec.path, v);
  }
  return out;
}

function fromFile(file: string): Obj {
  let text: string;
  try {
    text = readInputFileSync(file, 'config file', INPUT_LIMITS.config);
  } catch (e) {
    if (e instanceof InputFileError) throw new ConfigError(e.message);
    throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`);
  }
  // yaml is loaded only when there is a config file (it is not needed to serve).
  const { parse: parseYaml, YAMLParseError } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  try {
    const doc: unknown = parseYaml(text);
    if (doc === null || doc === undefined) return {};
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`${file}: the top level must be a mapping`);
    return doc as Obj;
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const pos = e.linePos?.[0];
      const reason = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '').replace(/:$/, '');
      throw new ConfigError(`${file}${pos ? `:${pos.line}:${pos.col}` : ''}: invalid YAML: ${reason}`);
    }
    throw e;
  }
}

/**
 * Merges the alias `sparseIndexRepos` into `sparseRepos` within one layer
 * (file, environment or flags), so a higher layer replaces the setting
 * whichever of the two names each layer used.
 */
function mergeAliases(layer: Obj): Obj {
  const alias = layer.sparseIndexRepos;
  if (alias === undefined) return layer;
  const { sparseIndexRepos: _alias, ...rest } = layer;
  const own = rest.sparseRepos;
  if (!Array.isArray(alias) || (own !== undefined && !Array.isArray(own))) return layer; // the schema reports the wrong type
  return { ...rest, sparseRepos: [...((own as unknown[] | undefined) ?? []), ...(alias as unknown[])] };
}

/** Validates a config object, turning schema errors into one readable message. */
export function validateConfig(input: unknown, source = 'configuration'): RegistryConfig {
  const obj = typeof input === 'object' && input !== null && !Array.isArray(input) ? mergeAliases(input as Obj) : input;
  const r = RegistryConfigSchema.safeParse(obj);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new ConfigError(`invalid ${source}:\n${lines.join('\n')}`);
}

export function loadRegistryConfig(opts: { file?: string; env?: NodeJS.ProcessEnv; flags?: Obj }): RegistryConfig {
  const file = mergeAliases(opts.file ? fromFile(opts.file) : {});
  const merged = deepMerge(deepMerge(file, mergeAliases(fromEnv(opts.env ?? {}))), mergeAliases(opts.flags ?? {}));
  return validateConfig(merged, opts.file ? `configuration (${opts.file}, environment and flags)` : 'configuration');
}
