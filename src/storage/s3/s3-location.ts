import { ConfigError } from '../../config/config-error.js';

/** Where an S3 driver keeps its objects, parsed from `s3://BUCKET[/PREFIX]?endpoint=…&region=…&forcePathStyle=true&partSize=…`. */
export interface S3Location {
  readonly bucket: string;
  /** Key prefix inside the bucket: '' or ending with '/'. */
  readonly prefix: string;
  /** undefined: the SDK's default (AWS) endpoint for the region. */
  readonly endpoint?: string;
  readonly region: string;
  readonly forcePathStyle: boolean;
  /** Bytes per multipart part and per staged append part (at least 5 MiB, S3's minimum for every part but the last). */
  readonly partSize: number;
}

export const S3_MIN_PART = 5 << 20;
const DEFAULT_PART = 8 << 20;
const KNOWN = new Set(['endpoint', 'region', 'forcePathStyle', 'partSize']);
const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Parses a `--storage s3://…` value. Credentials are never part of it (they
 * come from the standard AWS environment variables and files): a URL with a
 * user or password is refused, and no error message repeats the URL's query.
 */
export function parseS3Location(url: string): S3Location {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError('invalid --storage URL: expected s3://BUCKET[/PREFIX]?endpoint=…&region=…');
  }
  if (u.protocol !== 's3:') throw new ConfigError(`invalid --storage URL: unsupported scheme "${u.protocol}" (expected s3://)`);
  if (u.username || u.password) {
    throw new ConfigError('--storage must not hold credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or an AWS profile) instead');
  }
  const bucket = u.hostname;
  if (!BUCKET_RE.test(bucket)) throw new ConfigError(`invalid S3 bucket name "${bucket.slice(0, 70)}"`);
  for (const k of u.searchParams.keys()) {
    if (!KNOWN.has(k)) throw new ConfigError(`unknown --storage parameter "${k.slice(0, 40)}" (known: ${[...KNOWN].join(', ')})`);
  }
  const prefix = decodeURIComponent(u.pathname).replace(/^\/+|\/+$/g, '');
  if (prefix.split('/').some((s) => s === '..' || s === '.')) throw new ConfigError('invalid S3 key prefix: "." and ".." are not allowed');
  const endpoint = u.searchParams.get('endpoint') ?? undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^/?#\s]+\/?$/.test(endpoint)) throw new ConfigError('invalid S3 endpoint: expected http(s)://HOST[:PORT]');
  const fps = u.searchParams.get('forcePathStyle');
  if (fps !== null && fps !== 'true' && fps !== 'false') throw new ConfigError('invalid forcePathStyle: expected true or false');
  const partRaw = u.searchParams.get('partSize');
  const partSize = partRaw === null ? DEFAULT_PART : parsePartSize(partRaw);
  return {
    bucket,
    prefix: prefix === '' ? '' : `${prefix}/`,
    ...(endpoint !== undefined ? { endpoint: endpoint.replace(/\/$/, '') } : {}),
    region: u.searchParams.get('region') ?? process.env.AWS_REGION ?? 'us-east-1',
    forcePathStyle: fps === 'true',
    partSize,
  };
}

function parsePartSize(raw: string): number {
  const m = raw.match(/^(\d+)([KMG]i?)?$/i);
  const mult: Record<string, number> = { k: 1 << 10, m: 1 << 20, g: 1 << 30 };
  const n = m ? Number(m[1]) * (m[2] ? mult[m[2][0]!.toLowerCase()]! : 1) : NaN;
  if (!Number.isSafeInteger(n) || n < S3_MIN_PART || n > 5 * 1024 ** 3) throw new ConfigError('invalid partSize: expected 5M to 5G (S3 parts are at least 5 MiB)');
  return n;
}

/** The location as shown in logs and errors: no query beyond the endpoint and region. */
export function describeS3Location(l: S3Location): string {
  return `s3://${l.bucket}/${l.prefix}${l.endpoint ? ` at ${l.endpoint}` : ''} (${l.region})`;
}
