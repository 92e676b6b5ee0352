/**
 * Source → destination image lists: catalog mirror's `mapping.txt`
 * (`SRC=DST`, the input `image mirror -f` reads) and release mirror's
 * `--to-mirror` lines (`SRC DST`).
 */

export interface ImageMapping {
  /** The source image, by digest or tag (`quay.io/a/b@sha256:…`). */
  readonly source: string;
  /** The destination, with its tag (never the digest: a tag keeps the registry from collecting the image). */
  readonly destination: string;
}

/** `SRC=DST` lines, sorted and deduplicated (oc's follow Go map order). */
export function mappingTxt(ms: readonly ImageMapping[]): string {
  return [...new Set(ms.map((m) => `${m.source}=${m.destination}\n`))].sort().join('');
}

/** `SRC DST` lines, in the order given. */
export function mappingLines(ms: readonly ImageMapping[]): string {
  return ms.map((m) => `${m.source} ${m.destination}\n`).join('');
}
