/**
 * The distribution API operations airlock's copy engine needs, for one
 * registry host (regclient-style noun+verb names). Manifests are raw bytes;
 * blob bodies are streams. Every method throws RegistryHttpError for an
 * unexpected answer, with the operation and the registry's OCI error code.
 */
import { Readable } from 'node:stream';
import { digestOf, isDigest, parseDigest, type Digest } from '../../oci/digest.js';
import { MANIFEST_MEDIA_TYPES } from '../../oci/media-types.js';
import { parseDescriptor } from '../../oci/descriptor.js';
import { DigestMismatchError, errorText, ImageNotFoundError, SourceReadError } from '../types.js';
import type { Scope } from './registry-auth.js';
import { httpError, readLimited, RegistryHttpError } from './http-errors.js';
import { header, RegistryHttp, type RegistryHttpOptions, type Response } from './registry-http.js';

/** Largest manifest accepted (distribution's default limit is 4 MiB). */
export const MAX_MANIFEST_BYTES = 8 << 20;

export const MANIFEST_ACCEPT = MANIFEST_MEDIA_TYPES.join(', ');

/** Up to 64 MiB: one streamed PUT. Larger: resumable 128 MiB PATCH chunks. */
export const DEFAULT_CHUNKING = { threshold: 64 << 20, chunkSize: 128 << 20 } as const;

const pull = (repository: string): Scope => ({ repository, actions: ['pull'] });
const push = (repository: string): Scope => ({ repository, actions: ['pull', 'push'] });

/** The whole body (at most MAX_MANIFEST_BYTES); a body that breaks off is a SourceReadError. */
async function readManifestBody(body: Readable, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of body as AsyncIterable<Buffer>) {
      n += c.length;
      if (n > MAX_MANIFEST_BYTES) {
        body.destroy();
        throw new Error(`${what}: manifest larger than ${MAX_MANIFEST_BYTES} bytes`);
      }
      chunks.push(c);
    }
  } catch (e) {
    if (n > MAX_MANIFEST_BYTES) throw e;
    throw new SourceReadError(`${what}: the body broke off after ${n} bytes: ${errorText(e)}`, { cause: e });
  }
  return Buffer.concat(chunks);
}

export interface FetchedManifest {
  readonly bytes: Buffer;
  readonly mediaType: string;
  readonly digest: Digest;
}

/** Where an upload session continues (absolute URL or path from the registry). */
export type UploadLocation = string;

export class RegistryClient {
  readonly http: RegistryHttp;
  /** Counters for summaries and tests. */
  readonly counts = { blobUploads: 0, blobMounts: 0, manifestPuts: 0, bytesUploaded: 0 };
  /** Set after the registry answered a referrers request with 404/405 (no referrers API). */
  private referrersUnsupported = false;
  /** Set after the first answer that tells whether the referrers API exists (200, 404 or 405). */
  private referrersKnown = false;
  /** The one referrers request in flight while that is not known yet. */
  private referrersProbe: Promise<void> | undefined;
  /**
   * Whether the registry completes a monolithic `POST …/blobs/uploads/?digest=`
   * (201) or opens a session and ignores the body (202, e.g. distribution
   * 2.8): learnt from its first answer, undefined until then.
   */
  private monolithicPost: boolean | undefined;
  /** The one monolithic POST in flight while that is not known (the others wait for its answer). */
  private monolithicProbe: Promise<unknown> | undefined;

  constructor(
    readonly registry: string,
    opts: RegistryHttpOptions,
    /** Blobs above `threshold` bytes go up in resumable `chunkSize` PATCHes. */
    readonly chunking: { readonly threshold: number; readonly chunkSize: number } = DEFAULT_CHUNKING,
  ) {
    this.http = new RegistryHttp(registry, opts);
  }

  private path(repository: string, tail: string): string {
    return `/v2/${repository}/${tail}`;
  }

  /** Checks that the registry answers (and learns its auth scheme). */
  async ping(signal?: AbortSignal): Promise<void> {
    await this.http.origin(signal);
  }

  async manifestGet(repository: string, reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
    const what = `GET ${this.registry}/${repository} manifest ${reference}`;
    const res = await this.http.send({ method: 'GET', path: this.path(repository, `manifests/${reference}`), headers: { accept: MANIFEST_ACCEPT }, scope: pull(repository), signal });
    if (res.statusCode === 404) {
      const err = await httpError(res, what);
      throw new ImageNotFoundError(`${this.registry}/${repository}${isDigest(reference) ? '@' : ':'}${reference} not found (${err.message})`, { cause: err });
    }
    if (res.statusCode !== 200) throw await httpError(res, what);
    const bytes = await readManifestBody(res.body, what);
    const headerDigest = header(res, 'docker-content-digest');
    const algorithm = isDigest(reference) ? parseDigest(reference).algorithm : 'sha256';
    const digest = digestOf(bytes, algorithm);
    if (isDigest(reference) && digest !== reference) throw new DigestMismatchError(`${what}: the bytes hash to ${digest}`);
    if (headerDigest !== undefined && isDigest(headerDigest) && parseDigest(headerDigest).algorithm === algorithm && headerDigest !== digest) {
      throw new DigestMismatchError(`${what}: Docker-Content-Digest ${headerDigest} but the bytes hash to ${digest}`);
    }
    const mediaType = (header(res, 'content-type') ?? '').split(';')[0]!.trim();
    return { bytes, mediaType, digest };
  }

  /** The digest a tag or digest resolves to, or undefined when absent. */
  async manifestHead(repository: string, reference: string, signal?: AbortSignal): Promise<Digest | undefined> {
    const res = await this.http.send({ method: 'HEAD', path: this.path(repository, `manifests/${reference}`), headers: { accept: MANIFEST_ACCEPT }, scope: pull(repository), signal });
    await res.body.dump();
    if (res.statusCode === 404) return undefined;
    if (res.statusCode !== 200) throw new RegistryHttpError(`HEAD ${this.registry}/${repository} manifest ${reference}: HTTP ${res.statusCode}`, res.statusCode, undefined);
    const d = header(res, 'docker-content-digest');
    if (d !== undefined && isDigest(d)) return d as Digest;
    if (isDigest(reference)) return reference as Digest;
    // No digest header: fall back to GET and hash the bytes.
    return (await this.manifestGet(repository, reference, signal)).digest;
  }

  async manifestPut(repository: string, reference: string, bytes: Buffer, mediaType: string, signal?: AbortSignal): Promise<void> {
    const what = `PUT ${this.registry}/${repository} manifest ${reference}`;
    const res = await this.http.send({ method: 'PUT', path: this.path(repository, `manifests/${reference}`), headers: { 'content-type': mediaType }, body: bytes, scope: push(repository), signal });
    if (res.statusCode !== 201 && res.statusCode !== 200 && res.statusCode !== 202) throw await httpError(res, what);
    await res.body.dump();
    this.counts.manifestPuts++;
    const got = header(res, 'docker-content-digest');
    const want = digestOf(bytes);
    if (got !== undefined && isDigest(got) && parseDigest(got).algorithm === 'sha256' && got !== want) {
      throw new Error(`${what}: the registry stored it as ${got}, not ${want} (it rewrote the manifest)`);
    }
  }

  /** Size of the blob in the repository, or undefined when absent. */
  async blobHead(repository: string, digest: Digest, signal?: AbortSignal): Promise<number | undefined> {
    const res = await this.http.send({ method: 'HEAD', path: this.path(repository, `blobs/${digest}`), scope: pull(repository), signal, followRedirects: true });
    await res.body.dump();
    if (res.statusCode === 404) return undefined;
    if (res.statusCode !== 200) throw new RegistryHttpError(`HEAD ${this.registry}/${repository} blob ${digest}: HTTP ${res.statusCode}`, res.statusCode, undefined);
    const len = header(res, 'content-length');
    return len === undefined ? -1 : Number(len);
  }

  /** Streams a blob (from `offset` on with a Range request). Redirects drop Authorization. */
  async blobGet(repository: string, digest: Digest, offset = 0, signal?: AbortSignal): Promise<Readable> {
    const what = `GET ${this.registry}/${repository} blob ${digest}`;
    const headers: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
    const res = await this.http.send({ method: 'GET', path: this.path(repository, `blobs/${digest}`), headers, scope: pull(repository), signal, followRedirects: true, retry: false });
    if (res.statusCode === 404) throw new ImageNotFoundError(`${what}: blob unknown`, { cause: await httpError(res, what) });
    const ok = offset > 0 ? res.statusCode === 206 : res.statusCode === 200;
    if (!ok) throw await httpError(res, what);
    return res.body;
  }

  /**
   * Asks for a cross-repository mount. Returns 'mounted' on 201, otherwise
   * the upload session the registry opened instead (202), usable for putBlob.
   */
  async blobMount(repository: string, digest: Digest, from: string, signal?: AbortSignal): Promise<'mounted' | UploadLocation> {
    const q = `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`;
    // A mount needs push on the target and pull on the source repository, in one token.
    const scope = [push(repository), pull(from)];
    const res = await this.http.send({ method: 'POST', path: this.path(repository, `blobs/uploads/${q}`), scope, signal });
    if (res.statusCode === 201) {
      await res.body.dump();
      this.counts.blobMounts++;
      return 'mounted';
    }
    if (res.statusCode !== 202) throw await httpError(res, `POST ${this.registry}/${repository} mount ${digest} from ${from}`);
    await res.body.dump();
    const loc = header(res, 'location');
    if (loc === undefined) throw new Error(`POST ${this.registry}/${repository} upload: 202 without Location`);
    return loc;
  }

  /** Opens an upload session; returns its Location. Not retried here: part of a blob transfer. */
  async blobUploadStart(repository: string, signal?: AbortSignal): Promise<UploadLocation> {
    const what = `POST ${this.registry}/${repository} blob upload`;
    const res = await this.http.send({ method: 'POST', path: this.path(repository, 'blobs/uploads/'), scope: push(repository), signal, retry: false });
    if (res.statusCode !== 202) throw await httpError(res, what);
    await res.body.dump();
    const loc = header(res, 'location');
    if (loc === undefined) throw new Error(`${what}: 202 without Location`);
    return loc;
  }

  /**
   * Uploads a blob held in memory (its digest already verified): one
   * `POST …/blobs/uploads/?digest=` carrying the bytes where the registry
   * completes it (201), else the session that POST opened (202) or a new one
   * is finished with a PUT. Not retried here: part of a blob transfer.
   */
  async blobUploadBytes(repository: string, digest: Digest, bytes: Buffer, signal?: AbortSignal): Promise<void> {
    // One upload asks while the answer is unknown: a registry that ignores the body gets it once, not once per upload in flight.
    while (this.monolithicPost === undefined && this.monolithicProbe !== undefined) await this.monolithicProbe.catch(() => undefined);
    if (this.monolithicPost === undefined) {
      const probe = this.postBytes(repository, digest, bytes, signal);
      this.monolithicProbe = probe;
      try {
        await probe;
      } finally {
        this.monolithicProbe = undefined;
      }
      return;
    }
    if (this.monolithicPost === false) {
      const location = await this.blobUploadStart(repository, signal);
      await this.blobUploadPut(repository, location, digest, bytes.length, Readable.from([bytes]), signal);
      return;
    }
    await this.postBytes(repository, digest, bytes, signal);
  }

  /** The monolithic POST; on 202 the session it opened is finished with a PUT. */
  private async postBytes(repository: string, digest: Digest, bytes: Buffer, signal?: AbortSignal): Promise<void> {
    const what = `POST ${this.registry}/${repository} blob ${digest}`;
    const res = await this.http.send({
      method: 'POST',
      path: this.path(repository, `blobs/uploads/?digest=${encodeURIComponent(digest)}`),
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) },
      body: bytes,
      scope: push(repository),
      signal,
      retry: false,
    });
    if (res.statusCode === 201) {
      await res.body.dump();
      this.monolithicPost = true;
      this.counts.blobUploads++;
      this.counts.bytesUploaded += bytes.length;
      return;
    }
    if (res.statusCode !== 202) throw await httpError(res, what);
    await res.body.dump();
    this.monolithicPost = false;
    const loc = header(res, 'location');
    if (loc === undefined) throw new Error(`${what}: 202 without Location`);
    await this.blobUploadPut(repository, loc, digest, bytes.length, Readable.from([bytes]), signal);
  }

  /** Cancels an upload session (DELETE on its Location); resolves to the status the registry answered. */
  async blobUploadCancel(repository: string, location: UploadLocation, signal?: AbortSignal): Promise<number> {
    const res = await this.http.send({ method: 'DELETE', path: location, scope: push(repository), signal });
    await res.body.dump();
    return res.statusCode;
  }

  /**
   * Completes an upload session with the whole blob in one streamed PUT
   * (Content-Length set; the registry checks `digest` before committing).
   */
  async blobUploadPut(repository: string, location: UploadLocation, digest: Digest, size: number, body: Readable, signal?: AbortSignal): Promise<void> {
    const what = `PUT ${this.registry}/${repository} blob ${digest}`;
    const url = this.withDigest(location, digest);
    const res = await this.http.send({
      method: 'PUT',
      path: url,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body,
      scope: push(repository),
      signal,
      headersTimeoutMs: this.http.commitTimeoutMs(size),
    });
    if (res.statusCode !== 201 && res.statusCode !== 204) {
      const err = await httpError(res, what);
      if (res.statusCode === 401) Object.defineProperty(err, 'retryable', { value: true });
      throw err;
    }
    await res.body.dump();
    this.counts.blobUploads++;
    this.counts.bytesUploaded += size;
  }

  private withDigest(location: string, digest: Digest): string {
    const abs = /^https?:\/\//.test(location);
    const u = new URL(location, 'http://placeholder');
    u.searchParams.set('digest', digest);
    return abs ? u.toString() : u.pathname + u.search;
  }

  /**
   * Referrers of `digest` (OCI distribution 1.1). Registries without the API
   * (404, 405, or a non-index answer) have none to report.
   */
  async referrersList(repository: string, digest: Digest, signal?: AbortSignal): Promise<{ digest: Digest; size: number; mediaType: string }[]> {
    // A registry with the API never answers 404 for an existing repository
    // (distribution-spec 1.1), so one 404/405 means it has no referrers API:
    // later images of the run do not ask again.
    if (this.referrersUnsupported) return [];
    // Until one answer said whether the API exists, one request at a time: the
    // others wait for it instead of each asking a registry without the API.
    while (this.referrersProbe !== undefined) {
      await this.referrersProbe;
      if (this.referrersUnsupported) return [];
    }
    if (!this.referrersKnown) {
      let done!: () => void;
      this.referrersProbe = new Promise<void>((r) => (done = r));
      try {
        return await this.referrersListOnce(repository, digest, signal);
      } finally {
        this.referrersProbe = undefined;
        done();
      }
    }
    return this.referrersListOnce(repository, digest, signal);
  }

  private async referrersListOnce(repository: string, digest: Digest, signal?: AbortSignal): Promise<{ digest: Digest; size: number; mediaType: string }[]> {
    const res = await this.http.send({ method: 'GET', path: this.path(repository, `referrers/${digest}`), headers: { accept: 'application/vnd.oci.image.index.v1+json' }, scope: pull(repository), signal });
    if (res.statusCode === 200 || res.statusCode === 404 || res.statusCode === 405) this.referrersKnown = true;
    if (res.statusCode !== 200) {
      await res.body.dump();
      if (res.statusCode === 404 || res.statusCode === 405) this.referrersUnsupported = true;
      if (res.statusCode === 404 || res.statusCode === 405 || res.statusCode === 400) return [];
      throw new RegistryHttpError(`GET ${this.registry}/${repository} referrers of ${digest}: HTTP ${res.statusCode}`, res.statusCode, undefined);
    }
    let doc: { manifests?: unknown };
    try {
      doc = JSON.parse(await readLimited(res.body, MAX_MANIFEST_BYTES)) as { manifests?: unknown };
    } catch {
      return [];
    }
    if (!Array.isArray(doc.manifests)) return [];
    // Each entry through the one descriptor validator (lenient); entries it refuses are skipped.
    return doc.manifests.flatMap((m, i) => {
      try {
        const d = parseDescriptor(m, `manifests[${i}]`, 'lenient');
        return [{ digest: d.digest, size: d.size, mediaType: d.mediaType }];
      } catch {
        return [];
      }
    });
  }

  /** Lists tags, following `Link: <...>; rel="next"` pagination. A 404 repository has none. */
  async *tagsList(repository: string, signal?: AbortSignal, pageSize = 1000): AsyncGenerator<string> {
    let next: string | undefined = this.path(repository, `tags/list?n=${pageSize}`);
    const seen = new Set<string>();
    while (next !== undefined) {
      const what: string = `GET ${this.registry}/${repository} tags`;
      const res: Response = await this.http.send({ method: 'GET', path: next, scope: pull(repository), signal });
      if (res.statusCode === 404) {
        await res.body.dump();
        return;
      }
      if (res.statusCode !== 200) throw await httpError(res, what);
      const text = await readLimited(res.body, 64 << 20);
      const doc = JSON.parse(text) as { tags?: unknown };
      const tags = Array.isArray(doc.tags) ? doc.tags.filter((t): t is string => typeof t === 'string') : [];
      for (const t of tags) if (!seen.has(t)) {
        seen.add(t);
        yield t;
      }
      const link = header(res, 'link');
      const m = link === undefined ? null : /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
      next = m && tags.length > 0 ? m[1] : undefined;
      if (next !== undefined && /^https?:\/\//.test(next)) next = new URL(next).pathname + new URL(next).search;
    }
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
