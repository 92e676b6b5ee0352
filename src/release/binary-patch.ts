/**
 * The placeholders openshift-install and oc carry for the release they
 * belong to, and the streaming patch `oc adm release extract` applies: each
 * marker is NUL + name + NUL + `X` padding + NUL; its first occurrence is
 * overwritten from the leading NUL on with the value and one NUL. Markers may
 * straddle read chunks; a marker that is never seen is reported.
 */
import { Transform, type TransformCallback } from 'node:stream';

const marker = (name: string, pad: number): Buffer => Buffer.from(`\0${name}\0${'X'.repeat(pad)}\0`, 'latin1');

export const RELEASE_IMAGE_MARKER = marker('_RELEASE_IMAGE_LOCATION_', 300);
export const RELEASE_VERSION_MARKER = marker('_RELEASE_VERSION_LOCATION_', 64);
export const RELEASE_ARCHITECTURE_MARKER = marker('_RELEASE_ARCHITECTURE_LOCATION_', 64);

export interface Replacement {
  /** `release image`, `release version`, `release architecture` (oc's names). */
  readonly name: string;
  readonly marker: Buffer;
  readonly value: string;
}

export class PatchError extends Error {
  readonly code = 'ERR_BINARY_PATCH';
}

/** The value as written: the value's bytes then a NUL, at most marker length. */
export function checkReplacement(r: Replacement): Buffer {
  const v = Buffer.from(r.value, 'utf8');
  if (v.length > r.marker.length - 1) {
    throw new PatchError(`the ${r.name} value has ${v.length} bytes, but the maximum replacement length is ${r.marker.length - 1}`);
  }
  return Buffer.concat([v, Buffer.from([0])]);
}

/** A pass-through that patches markers; `missing()` names those never found (sorted). */
export class PlaceholderPatcher extends Transform {
  private pending = Buffer.alloc(0);
  private readonly values: Buffer[];
  private readonly matched: boolean[];
  private readonly keep: number;

  constructor(private readonly replacements: readonly Replacement[]) {
    super();
    this.values = replacements.map(checkReplacement);
    this.matched = replacements.map(() => false);
    this.keep = Math.max(0, ...replacements.map((r) => r.marker.length - 1));
  }

  missing(): string[] {
    return this.replacements.filter((_r, i) => !this.matched[i]).map((r) => r.name).sort();
  }

  private done(): boolean {
    return this.matched.every(Boolean);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.done()) {
      cb(null, chunk);
      return;
    }
    const buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    this.replacements.forEach((r, i) => {
      if (this.matched[i]) return;
      const at = buf.indexOf(r.marker);
      if (at < 0) return;
      this.values[i]!.copy(buf, at);
      this.matched[i] = true;
    });
    if (this.done()) {
      this.pending = Buffer.alloc(0);
      cb(null, buf);
      return;
    }
    const cut = Math.max(0, buf.length - this.keep);
    this.pending = Buffer.from(buf.subarray(cut));
    cb(null, buf.subarray(0, cut));
  }

  override _flush(cb: TransformCallback): void {
    cb(null, this.pending.length > 0 ? this.pending : undefined);
  }
}

/** Patches a whole buffer (tests, small binaries). */
export function patchBuffer(data: Buffer, replacements: readonly Replacement[]): { data: Buffer; missing: string[] } {
  const out = Buffer.from(data);
  const missing: string[] = [];
  replacements.forEach((r) => {
    const v = checkReplacement(r);
    const at = out.indexOf(r.marker);
    if (at < 0) missing.push(r.name);
    else v.copy(out, at);
  });
  return { data: out, missing: missing.sort() };
}
