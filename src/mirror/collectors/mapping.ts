/**
 * The mapping collector: `image mirror`'s `SRC DST [DST...]` or `SRC=DST`
 * arguments and `-f` mapping files (copy/mappings.ts parses them) become
 * plan items; source tag globs are expanded by listing the source's tags and
 * destinations inherit source tags (copy/mirror.ts `expandMappings`).
 */
import { expandMappings } from '../../copy/mirror.js';
import { MappingError, mappingsFromArgs, mappingsFromFile, type Mapping } from '../../copy/mappings.js';
import { INPUT_LIMITS, InputFileError, readInputFile } from '../../util/input-file.js';
import { readStdinText } from '../../util/stdin.js';
import type { Collected, Collector, CollectorContext } from '../collector.js';

/**
 * Mappings from arguments and mapping files (`-` reads stdin). Every
 * failure is a MappingError whose message is meant for the user (`FILE:LINE: …`).
 */
export async function readMappings(args: readonly string[], files: readonly string[]): Promise<Mapping[]> {
  const out: Mapping[] = [...mappingsFromArgs(args)];
  for (const f of files) {
    let text: string;
    try {
      text = f === '-' ? await readStdinText('mapping file', INPUT_LIMITS.list) : await readInputFile(f, 'mapping file', INPUT_LIMITS.list);
    } catch (e) {
      if (e instanceof InputFileError) throw new MappingError(e.message);
      throw new MappingError(`cannot read mapping file ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    out.push(...mappingsFromFile(f === '-' ? 'stdin' : f, text));
  }
  if (out.length === 0) throw new MappingError('nothing to mirror: give SRC DST [DST...], SRC=DST pairs, or -f FILE');
  return out;
}

/** Items of origin `mapping`, one per source image (mappings naming the same image share it). */
export class MappingCollector implements Collector {
  readonly name = 'mappings';

  constructor(private readonly mappings: readonly Mapping[]) {}

  async collect(ctx: CollectorContext): Promise<Collected<undefined>> {
    const jobs = await expandMappings(ctx.env, this.mappings, ctx.signal);
    return { items: jobs.map((j) => ({ source: j.source, within: j.within, targets: j.targets, origins: [{ kind: 'mapping' }] })), info: undefined };
  }
}
