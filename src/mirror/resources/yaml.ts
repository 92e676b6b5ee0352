/**
 * YAML scalars as the Go tools print them (sigs.k8s.io/yaml over go-yaml),
 * for the hand-written, byte-exact cluster resources of this folder.
 */

const RESERVED = /^(?:~|null|true|false|yes|no|on|off|y|n|[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|0x[0-9a-fA-F]+|\.inf|\.nan)$/i;

/** YAML 1.1 timestamps (`2026-08-21`, `2026-08-21T10:00:00Z`), which go-yaml quotes too. */
const TIMESTAMP = /^\d{4}-\d\d?-\d\d?(?:(?:[Tt]|[ \t]+)\d\d?:\d\d:\d\d(?:\.\d*)?(?:[ \t]*(?:Z|[-+]\d\d?(?::\d\d)?))?)?$/;

/** Whether go-yaml may print `s` unquoted (a conservative subset: image references, names, hosts). */
function plainSafe(s: string): boolean {
  return s !== '' && /^[A-Za-z0-9_./][A-Za-z0-9_./:@+=-]*$/.test(s) && !/:$/.test(s);
}

/**
 * A scalar as `release mirror` has always printed it: plain when safe, else
 * single-quoted (reserved words too: `'true'`). Kept for release mirror's
 * exact output; new documents use yamlString.
 */
export function yamlScalar(s: string): string {
  return plainSafe(s) && !RESERVED.test(s) ? s : `'${s.replace(/'/g, "''")}'`;
}

/**
 * A string as go-yaml marshals it: double-quoted when the plain form would
 * read back as another type (`"true"`, `"1"`, `"null"`, a timestamp), single-quoted when
 * its characters forbid the plain form, plain otherwise.
 */
export function yamlString(s: string): string {
  if (RESERVED.test(s) || TIMESTAMP.test(s)) return JSON.stringify(s);
  return plainSafe(s) ? s : `'${s.replace(/'/g, "''")}'`;
}

/** `key: value` lines of a string map at `indent`, keys sorted (as sigs.k8s.io/yaml writes maps). */
export function yamlStringMap(map: Readonly<Record<string, string>>, indent: string): string {
  return Object.keys(map)
    .sort()
    .map((k) => `${indent}${yamlString(k)}: ${yamlString(map[k]!)}\n`)
    .join('');
}
