/**
 * `oc image mirror` mappings: from arguments (`SRC DST [DST...]`, or only
 * `SRC=DST` pairs) and from mapping files (`-f`), whose lines are either
 * form; `#` starts a comment anywhere; blank lines are skipped. Errors name
 * `file:line`.
 */
import { formatImageReference, imageNameOf, parseImageReference, selectorOf, selectorWords, type ImageReference } from '../transports/all.js';
import { hasTagGlob } from '../reference/image-name.js';
import { quoted } from '../util/quoted.js';

export interface Mapping {
  readonly source: ImageReference;
  readonly destinations: readonly ImageReference[];
  /** `argument`, or `file:line` */
  readonly origin: string;
}

export class MappingError extends Error {
  readonly code = 'ERR_MAPPING';
}

function parseRef(text: string, role: 'source' | 'destination', where: string): ImageReference {
  try {
    return parseImageReference(text, { allowTagGlob: role === 'source' });
  } catch (e) {
    throw new MappingError(`${where}: ${role} ${(e as Error).message}`);
  }
}

/** Checks one mapping's own rules (oc's): tags/digests where they belong, globs only into repositories. */
function checked(source: ImageReference, destinations: ImageReference[], origin: string): Mapping {
  const sel = selectorOf(source);
  if (sel.tag === undefined && sel.digest === undefined) {
    throw new MappingError(`${origin}: source ${formatImageReference(source)} needs ${selectorWords(source)}`);
  }
  const name = imageNameOf(source);
  const glob = name !== undefined && hasTagGlob(name);
  if (glob && sel.digest !== undefined) throw new MappingError(`${origin}: source ${formatImageReference(source)} cannot have both a tag glob and a digest`);
  for (const d of destinations) {
    const ds = selectorOf(d);
    if (ds.digest !== undefined) {
      throw new MappingError(`${origin}: destination ${formatImageReference(d)} may not carry a digest`);
    }
    if (glob && ds.tag !== undefined) {
      throw new MappingError(`${origin}: destination ${formatImageReference(d)} must be a repository without a tag when the source has a tag glob`);
    }
    if (formatImageReference(d) === formatImageReference(source)) throw new MappingError(`${origin}: source and destination are the same (${formatImageReference(d)})`);
  }
  return { source, destinations, origin };
}

/** Mappings from command-line arguments. */
export function mappingsFromArgs(args: readonly string[]): Mapping[] {
  if (args.length === 0) return [];
  if (args.some((a) => a.includes('='))) {
    return args.map((a, i) => {
      const eq = a.indexOf('=');
      if (eq < 0) throw new MappingError(`argument ${i + 1} (${quoted(a)}): when one argument is SRC=DST, all must be`);
      const where = `argument ${i + 1}`;
      return checked(parseRef(a.slice(0, eq), 'source', where), [parseRef(a.slice(eq + 1), 'destination', where)], where);
    });
  }
  if (args.length < 2) throw new MappingError('expected SRC DST [DST...], SRC=DST pairs, or -f FILE');
  const [src, ...dsts] = args;
  return [checked(parseRef(src!, 'source', 'argument 1'), dsts.map((d, i) => parseRef(d, 'destination', `argument ${i + 2}`)), 'arguments')];
}

/** Mappings from one mapping file's text; `name` is used in errors. */
export function mappingsFromFile(name: string, text: string): Mapping[] {
  const out: Mapping[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const where = `${name}:${i + 1}`;
    const hash = raw.indexOf('#');
    const line = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (line === '') return;
    if (line.includes('=')) {
      const eq = line.indexOf('=');
      const src = line.slice(0, eq).trim();
      const dst = line.slice(eq + 1).trim();
      if (src === '' || dst === '' || /\s/.test(src) || /\s/.test(dst)) throw new MappingError(`${where}: expected SRC=DST, got ${quoted(line)}`);
      out.push(checked(parseRef(src, 'source', where), [parseRef(dst, 'destination', where)], where));
      return;
    }
    const fields = line.split(/\s+/);
    if (fields.length < 2) throw new MappingError(`${where}: expected "SRC DST [DST...]" or "SRC=DST", got ${quoted(line)}`);
    out.push(checked(parseRef(fields[0]!, 'source', where), fields.slice(1).map((f) => parseRef(f, 'destination', where)), where));
  });
  return out;
}
