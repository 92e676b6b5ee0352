/**
 * The deterministic tag of a rebuilt catalog (oc-mirror v2, OCPSTRAT-1515):
 * the 32-hex MD5 of the JSON-serialised operator filter.
 *
 * Exactly what is hashed: the UTF-8 bytes of canonicalJson(filter), where
 * canonicalJson is JSON.stringify with no whitespace, the members of every
 * object sorted by key (UTF-16 code-unit order, as Array.prototype.sort
 * compares strings) at every depth, arrays kept in their order, and members
 * whose value is `undefined` left out (JSON's own rule). So `{b:1,a:2}` and
 * `{a:2,b:1}` give one tag, `{a:[1,2]}` and `{a:[2,1]}` two. The filter is
 * hashed as given (the caller passes the parsed CatalogFilter, or the
 * ImageSetConfiguration `operators[]` entry), nothing is normalised.
 */
import { createHash } from 'node:crypto';

/** JSON with sorted keys and no whitespace; throws on values JSON cannot hold (functions, bigint, cycles, non-finite numbers). */
export function canonicalJson(value: unknown): string {
  const seen = new Set<object>();
  const walk = (v: unknown): string => {
    if (v === null) return 'null';
    if (typeof v === 'string' || typeof v === 'boolean') return JSON.stringify(v);
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new TypeError(`canonicalJson: ${v} has no JSON form`);
      return JSON.stringify(v);
    }
    if (typeof v !== 'object') throw new TypeError(`canonicalJson: a ${typeof v} has no JSON form`);
    if (seen.has(v)) throw new TypeError('canonicalJson: a cyclic value has no JSON form');
    seen.add(v);
    let out: string;
    if (Array.isArray(v)) out = `[${v.map((x) => (x === undefined ? 'null' : walk(x))).join(',')}]`;
    else {
      const obj = v as Record<string, unknown>;
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
      out = `{${keys.map((k) => `${JSON.stringify(k)}:${walk(obj[k])}`).join(',')}}`;
    }
    seen.delete(v);
    return out;
  };
  return walk(value);
}

/** The rebuilt catalog's tag: md5(canonicalJson(filter)) in lowercase hex. */
export function filterTag(filter: unknown): string {
  return createHash('md5').update(canonicalJson(filter), 'utf8').digest('hex');
}
