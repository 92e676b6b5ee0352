/**
 * The mirror rules of a cluster's resources, as `airlock verify` reads
 * them: ImageDigestMirrorSet (`spec.imageDigestMirrors`, digest pulls),
 * ImageTagMirrorSet (`spec.imageTagMirrors`, tag pulls),
 * ImageContentSourcePolicy (`spec.repositoryDigestMirrors`, digest pulls),
 * install-config's `imageDigestSources` / `imageContentSources`, `kind:
 * List` of those; from files or a directory (`cluster-resources/`: every
 * `*.yaml`, `*.yml`, `*.json` in it; other kinds, such as CatalogSource,
 * are ignored there but refused in a file named on its own).
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { INPUT_LIMITS, InputFileError, readInputFile } from '../../util/input-file.js';

export type PullKind = 'digest' | 'tag';

export interface MirrorRule {
  /** Which pulls it applies to: IDMS/ICSP `digest`, ITMS `tag`. */
  readonly kind: PullKind;
  /** The source (`host[/path]`), as written without trailing `/`. */
  readonly source: string;
  /** Mirrors, in order. */
  readonly mirrors: readonly string[];
  /** `mirrorSourcePolicy: NeverContactSource`. */
  readonly neverContactSource: boolean;
  /** `FILE: document N` */
  readonly where: string;
}

export class VerifyInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VerifyInputError';
  }
}

const KINDS: Record<string, { field: string; kind: PullKind }> = {
  ImageDigestMirrorSet: { field: 'imageDigestMirrors', kind: 'digest' },
  ImageTagMirrorSet: { field: 'imageTagMirrors', kind: 'tag' },
  ImageContentSourcePolicy: { field: 'repositoryDigestMirrors', kind: 'digest' },
};

function entries(list: unknown, kind: PullKind, where: string): MirrorRule[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new VerifyInputError(`${where}: expected a list of {source, mirrors}`);
  return list.map((e: unknown, i) => {
    const o = (e ?? {}) as { source?: unknown; mirrors?: unknown; mirrorSourcePolicy?: unknown };
    if (typeof o.source !== 'string' || o.source === '') throw new VerifyInputError(`${where}[${i}]: no source`);
    const mirrors = o.mirrors ?? [];
    if (!Array.isArray(mirrors) || mirrors.some((m) => typeof m !== 'string' || m === '')) throw new VerifyInputError(`${where}[${i}]: mirrors must be a list of repositories`);
    return { kind, source: o.source.replace(/\/+$/, ''), mirrors: (mirrors as string[]).map((m) => m.replace(/\/+$/, '')), neverContactSource: o.mirrorSourcePolicy === 'NeverContactSource', where: `${where}[${i}]` };
  });
}

function fromObject(o: unknown, where: string, strict: boolean): MirrorRule[] {
  if (o === null || typeof o !== 'object') return [];
  const d = o as { kind?: unknown; spec?: Record<string, unknown>; items?: unknown; imageDigestSources?: unknown; imageContentSources?: unknown };
  if (d.kind === 'List' && Array.isArray(d.items)) return d.items.flatMap((x, i) => fromObject(x, `${where} items[${i}]`, strict));
  const k = typeof d.kind === 'string' ? KINDS[d.kind] : undefined;
  if (k !== undefined) return entries(d.spec?.[k.field], k.kind, `${where} spec.${k.field}`);
  if (d.imageDigestSources !== undefined || d.imageContentSources !== undefined) {
    return [...entries(d.imageDigestSources, 'digest', `${where} imageDigestSources`), ...entries(d.imageContentSources, 'digest', `${where} imageContentSources`)];
  }
  if (strict && d.kind !== undefined) throw new VerifyInputError(`${where}: kind ${String(d.kind)} holds no mirrors (expected ImageDigestMirrorSet, ImageTagMirrorSet or ImageContentSourcePolicy)`);
  return [];
}

/** The rules of one file's text (every YAML/JSON document). */
export function parseMirrorRules(file: string, text: string, strict = true): MirrorRule[] {
  const out: MirrorRule[] = [];
  for (const [i, doc] of parseAllDocuments(text).entries()) {
    if (doc.errors.length > 0) throw new VerifyInputError(`${file}: document ${i + 1}: not YAML or JSON (${doc.errors[0]!.message.split('\n')[0]})`);
    out.push(...fromObject(doc.toJS({ maxAliasCount: 0 }), `${file}: document ${i + 1}`, strict));
  }
  return out;
}

async function readText(file: string): Promise<string> {
  try {
    return await readInputFile(file, 'cluster resource', INPUT_LIMITS.config);
  } catch (e) {
    if (e instanceof InputFileError) throw new VerifyInputError(e.message);
    throw new VerifyInputError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Rules of files and directories, in the order given (a directory's files sorted by name). */
export async function readMirrorRules(paths: readonly string[]): Promise<MirrorRule[]> {
  const out: MirrorRule[] = [];
  for (const p of paths) {
    let isDir: boolean;
    try {
      isDir = (await stat(p)).isDirectory();
    } catch (e) {
      throw new VerifyInputError(`${p}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    if (!isDir) {
      out.push(...parseMirrorRules(p, await readText(p)));
      continue;
    }
    const names = (await readdir(p)).filter((n) => /\.(ya?ml|json)$/.test(n)).sort();
    for (const n of names) out.push(...parseMirrorRules(join(p, n), await readText(join(p, n)), false));
  }
  return out;
}
