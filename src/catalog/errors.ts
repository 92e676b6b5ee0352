/**
 * The one error type of the catalog code: a precise, one-line message meant
 * for the user (`configs/etcd/catalog.yaml:12: olm.bundle "x": no "package"`,
 * `package etcd, channel alpha: 2 channel heads (…)`). The CLI prints it as
 * `error: <message>` without a stack.
 */
export class CatalogError extends Error {
  readonly code = 'ERR_CATALOG';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CatalogError';
  }
}

/** Where a catalog item was read: a file relative to the catalog root and a 1-based line (0: not known, e.g. SQLite). */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
}

/** `file:line` (or just `file` when the line is unknown). */
export function at(loc: SourceLocation): string {
  return loc.line > 0 ? `${loc.file}:${loc.line}` : loc.file;
}
