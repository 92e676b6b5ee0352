/**
 * What a cluster will pull, for `airlock verify`: plain lists of references
 * (one per line, `#` comments, `docker://` allowed), mapping files (the
 * source side of `SRC=DST` or `SRC DST…` lines, oc's and oc-mirror's
 * mapping.txt), and release payloads (the release image and every
 * component of its image-references, read through the mirrors the way a
 * node would, see verify-run.ts). Each reference is fully qualified, by tag
 * or digest; the order is kept and duplicates dropped.
 */
import { InvalidReferenceError, parseRegistryRef } from '../../reference/image-name.js';
import { INPUT_LIMITS, InputFileError, readInputFile } from '../../util/input-file.js';
import { VerifyInputError } from './mirror-rules.js';

export interface PullInput {
  /** `host/repo:tag` or `host/repo@sha256:…` */
  readonly reference: string;
  /** Where it was named: `FILE:LINE`, `--image`, `release X component Y`. */
  readonly origin: string;
}

/** A reference checked and normalised (no `docker://`, a tag or digest required; tag dropped when a digest is given, as a node pulls by digest). */
export function pullReference(text: string, where: string): string {
  const t = text.trim().replace(/^docker:\/\//, '');
  let n;
  try {
    n = parseRegistryRef(t);
  } catch (e) {
    if (e instanceof InvalidReferenceError) throw new VerifyInputError(`${where}: ${e.message}`);
    throw e;
  }
  if (n.digest !== undefined) return `${n.registry}/${n.repository}@${n.digest}`;
  return `${n.registry}/${n.repository}:${n.tag ?? 'latest'}`;
}

async function lines(file: string, what: string): Promise<{ text: string; line: number }[]> {
  let text: string;
  try {
    text = await readInputFile(file, what, INPUT_LIMITS.list);
  } catch (e) {
    if (e instanceof InputFileError) throw new VerifyInputError(e.message);
    throw new VerifyInputError(`${file}: cannot read the ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return text.split('\n').map((l, i) => ({ text: l.replace(/#.*$/, '').trim(), line: i + 1 })).filter((l) => l.text !== '');
}

/** A list file: one reference per line. */
export async function readReferenceList(file: string): Promise<PullInput[]> {
  return (await lines(file, 'image list')).map((l) => ({ reference: pullReference(l.text, `${file}:${l.line}`), origin: `${file}:${l.line}` }));
}

/** A mapping file: the source of each `SRC=DST` or `SRC DST…` line. */
export async function readMappingSources(file: string): Promise<PullInput[]> {
  return (await lines(file, 'mapping file')).map((l) => {
    const src = l.text.includes('=') && !/\s/.test(l.text.split('=')[0]!) ? l.text.split('=')[0]! : l.text.split(/\s+/)[0]!;
    return { reference: pullReference(src, `${file}:${l.line}`), origin: `${file}:${l.line}` };
  });
}

/** Inputs in order, each reference once (the first origin kept). */
export function uniqueInputs(inputs: readonly PullInput[]): PullInput[] {
  const seen = new Set<string>();
  return inputs.filter((i) => (seen.has(i.reference) ? false : (seen.add(i.reference), true)));
}
