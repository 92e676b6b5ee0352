/**
 * User input quoted for a one-line error message: cut to `max` characters
 * (with `...`), then written as a JSON string, so control characters and
 * line separators show as escapes and cannot break the line or the terminal.
 */
export function quoted(input: string, max = 200): string {
  const cut = input.length > max ? `${input.slice(0, max - 3)}...` : input;
  return JSON.stringify(cut).replace(/[\u0085\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
