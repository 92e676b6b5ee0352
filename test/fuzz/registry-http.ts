/**
 * Plain HTTP against an in-process airlock (loopback, no auth) for the
 * fuzz properties: one request helper, blob pushes, and the check that an
 * error answer is an OCI error envelope with a known code (never a 5xx).
 */
import assert from 'node:assert/strict';
import { request } from 'undici';
import { digestOf, type Digest } from '../../src/oci/digest.js';

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

export async function send(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<Answer> {
  const res = await request(`${base}${path}`, { method: method as 'GET', headers, ...(body !== undefined ? { body } : {}) });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, body: bytes };
}

export function headerOf(a: Answer, name: string): string | undefined {
  const v = a.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Pushes `data` as one blob of `repo` (monolithic POST); returns its digest. */
export async function pushBlob(base: string, repo: string, data: Buffer): Promise<Digest> {
  const d = digestOf(data);
  const a = await send(base, 'POST', `/v2/${repo}/blobs/uploads/?digest=${d}`, { 'content-type': 'application/octet-stream' }, data);
  assert.equal(a.status, 201, `push blob: ${a.body.toString()}`);
  return d;
}

const OCI_CODES = new Set([
  'BLOB_UNKNOWN', 'BLOB_UPLOAD_INVALID', 'BLOB_UPLOAD_UNKNOWN', 'DIGEST_INVALID', 'MANIFEST_BLOB_UNKNOWN', 'MANIFEST_INVALID',
  'MANIFEST_UNKNOWN', 'NAME_INVALID', 'NAME_UNKNOWN', 'SIZE_INVALID', 'UNSUPPORTED', 'PAGINATION_NUMBER_INVALID',
]);

/** A 4xx with `{"errors":[{"code","message"}]}`, a code from `allowed` (default: any OCI code); returns the code. */
export function assertOciError(a: Answer, what: string, allowed?: readonly string[]): string {
  assert.ok(a.status >= 400 && a.status < 500, `${what}: expected a 4xx, got ${a.status}: ${a.body.toString().slice(0, 300)}`);
  let doc: { errors?: { code?: unknown; message?: unknown }[] };
  try {
    doc = JSON.parse(a.body.toString('utf8')) as typeof doc;
  } catch {
    return assert.fail(`${what}: the ${a.status} body is not JSON: ${a.body.toString().slice(0, 200)}`);
  }
  const e = doc.errors?.[0];
  assert.ok(e && typeof e.code === 'string' && typeof e.message === 'string' && e.message !== '', `${what}: OCI error envelope: ${a.body.toString().slice(0, 300)}`);
  assert.ok(OCI_CODES.has(e.code as string), `${what}: OCI error code ${String(e.code)}`);
  if (allowed) assert.ok(allowed.includes(e.code as string), `${what}: code ${String(e.code)}, expected one of ${allowed.join(', ')}: ${String(e.message)}`);
  return e.code as string;
}
