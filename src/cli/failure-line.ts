/**
 * The one line printed for a failure of the outside world (network, TLS, a
 * registry's HTTP answer, a missing image or file) that reaches the top of a
 * command: what happened, never a stack trace. Recognized by the errors'
 * `code`, so this module loads none of the transports.
 */

/** Codes of airlock's own errors whose messages are written for the user. */
const OWN_CODES = new Set(['ERR_REGISTRY_HTTP', 'ERR_FILE_STORE', 'ERR_ARCHIVE_DAMAGED', 'ERR_ARCHIVE_WRITE']);
/** Node system errors (ECONNREFUSED, ENOENT…), undici's (UND_ERR_*), TLS and certificate failures. */
const SYSTEM_CODE = /^(E[A-Z0-9]+|UND_ERR_\w+|ERR_TLS_\w+|ERR_SSL_\w+|UNABLE_TO_\w+|SELF_SIGNED\w*|DEPTH_ZERO\w*|CERT_\w+|HOSTNAME_MISMATCH)$/;
const OWN_NAMES = new Set(['RegistryUnreachableError', 'ImageNotFoundError', 'RegistryAuthError', 'DigestMismatchError', 'SourceReadError', 'TagRequiredError', 'CommitFailedError']);

/** The user-facing line for `e`, or undefined when it is a bug (whose stack is worth printing). */
export function failureLine(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  const code = (e as { code?: unknown }).code;
  const known = (typeof code === 'string' && (OWN_CODES.has(code) || SYSTEM_CODE.test(code))) || OWN_NAMES.has(e.name);
  if (!known) return undefined;
  const first = e.message.split('\n')[0] ?? e.message;
  return typeof code === 'string' && SYSTEM_CODE.test(code) && !first.includes(code) ? `${first} (${code})` : first;
}
