/**
 * Kubernetes resource names from free text (an index repository such as
 * `redhat/redhat-operator-index`, a tag such as `v4.18`). The result is an
 * RFC 1123 label: lowercase letters, digits and `-`, a letter or digit at
 * both ends, at most 63 characters. A label is valid as the name of every
 * kind written here, including a CatalogSource, whose name OLM also gives
 * to a Service (which may not contain `.`).
 */

export class ResourceNameError extends Error {
  readonly code = 'ERR_RESOURCE_NAME';
}

export const MAX_RESOURCE_NAME = 63;

/**
 * `text` lowercased, every run of other characters (`/`, `.`, `_`, `:`,
 * `@`…) turned into one `-`, trimmed to a letter or digit at both ends. With
 * `suffix` (`-0`, `-1`, …) the base is shortened so the whole name fits.
 * Throws ResourceNameError when nothing valid remains.
 */
export function resourceName(text: string, suffix = ''): string {
  const base = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const cut = base.slice(0, MAX_RESOURCE_NAME - suffix.length).replace(/-+$/, '');
  if (cut === '') throw new ResourceNameError(`"${text}" gives no valid resource name (letters or digits needed)`);
  return `${cut}${suffix}`;
}
