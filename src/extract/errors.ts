/** Errors of `image extract`, each with a code the CLI maps to its exit status. */

/** The command line asks for something impossible (bad SRC:DST, missing or non-empty directory). */
export class ExtractUsageError extends Error {
  readonly code = 'ERR_EXTRACT_USAGE';
}

/** The image cannot be extracted as asked (platform not found, path missing, conflicts). */
export class ExtractError extends Error {
  readonly code = 'ERR_IMAGE_EXTRACT';
}
