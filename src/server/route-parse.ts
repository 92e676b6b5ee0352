/**
 * Parses the path under /v2/ from the tail, because repository names contain
 * slashes (go-containerregistry's approach). The raw, undecoded path is used:
 * repository names, tags and digests never contain '%', so any escape fails
 * validation later instead of being decoded into '/' or '..'.
 */
export type V2Route =
  | { kind: 'ping' }
  | { kind: 'catalog' }
  | { kind: 'tags'; name: string }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'upload-start'; name: string }
  | { kind: 'upload'; name: string; id: string }
  | { kind: 'referrers'; name: string; digest: string }
  | { kind: 'unknown' };

const PATTERNS: [RegExp, (m: RegExpMatchArray) => V2Route][] = [
  [/^(.+)\/blobs\/uploads\/?$/, (m) => ({ kind: 'upload-start', name: m[1]! })],
  [/^(.+)\/blobs\/uploads\/([^/]+)$/, (m) => ({ kind: 'upload', name: m[1]!, id: m[2]! })],
  [/^(.+)\/blobs\/([^/]+)$/, (m) => ({ kind: 'blob', name: m[1]!, digest: m[2]! })],
  [/^(.+)\/manifests\/([^/]+)$/, (m) => ({ kind: 'manifest', name: m[1]!, reference: m[2]! })],
  [/^(.+)\/tags\/list$/, (m) => ({ kind: 'tags', name: m[1]! })],
  [/^(.+)\/referrers\/([^/]+)$/, (m) => ({ kind: 'referrers', name: m[1]!, digest: m[2]! })],
];

/** `path` is the URL path without the query string, e.g. `/v2/a/b/manifests/latest`. */
export function parseV2Path(path: string): V2Route {
  if (path === '/v2' || path === '/v2/') return { kind: 'ping' };
  if (!path.startsWith('/v2/')) return { kind: 'unknown' };
  const tail = path.slice(4);
  if (tail === '_catalog') return { kind: 'catalog' };
  for (const [re, make] of PATTERNS) {
    const m = tail.match(re);
    if (m) return make(m);
  }
  return { kind: 'unknown' };
}
