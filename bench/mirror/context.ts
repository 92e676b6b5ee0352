/** What the phases of `npm run bench:mirror` share: the fixtures in source registry A, the scope, the results, names. */
import type { FixtureImage } from '../../test/fixtures/make-fixtures.js';
import type { BenchScope } from '../lib/bench-scope.js';
import type { Results } from '../lib/results.js';
import type { ServerHandle } from '../lib/servers.js';
import type { Expected } from '../lib/verify.js';

export interface MirrorCtx {
  scope: BenchScope;
  results: Results;
  /** the 53-image set, all in A */
  images: FixtureImage[];
  /** docker-registry A, the source of every phase */
  srcA: ServerHandle;
  /** phases (w), (w0): A behind the latency proxy (host:port of the proxy, its RTT) */
  wan?: { hostPort: string; rttMs: number };
  /** phase (c): the one-layer image in A and its layer */
  huge: { image: FixtureImage; layerDigest: string; layerSize: number } | undefined;
}

export const PHASE = {
  a: '(a) registry→registry',
  b1: '(b1) registry→disk',
  b2: '(b2) disk→registry',
  c: '(c) one big layer → airlock',
  d: '(d) no-op re-run of (a)',
  e: '(e) registry→airlock serve',
  w: '(w) source over WAN link→airlock serve',
  w0: '(w0) no-op re-run of (w) over the link',
} as const;

export const TOOL = {
  copy: 'skopeo copy ×53',
  sync: 'skopeo sync yaml',
  copyOci: 'skopeo copy ×53 (oci:)',
  syncDir: 'skopeo sync (dir:)',
  copyOne: 'skopeo copy',
  airlock: 'airlock image mirror',
} as const;

/** `:tag`, or `@digest` for the image pushed by digest only */
export const refOf = (img: FixtureImage): string => (img.tag === null ? `@${img.digest}` : `:${img.tag}`);
/** `image mirror` destinations may not carry a digest: a by-digest source goes to the bare repository */
export const dstRefOf = (img: FixtureImage): string => (img.tag === null ? '' : `:${img.tag}`);

export const expectedOf = (images: readonly FixtureImage[]): Expected[] => images.map((i) => ({ repo: i.repo, ref: i.tag ?? i.digest, digest: i.digest }));
