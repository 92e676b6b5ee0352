import { decodeInputText, InputFileError } from './input-file.js';

/**
 * All of standard input as UTF-8 text (resolves at end of input; a BOM is
 * skipped). More than `maxBytes` is an InputFileError, and reading stops there.
 */
export async function readStdinText(what = 'standard input', maxBytes = 64 << 20): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of process.stdin as AsyncIterable<Buffer>) {
    total += c.length;
    if (total > maxBytes) {
      process.stdin.destroy();
      throw new InputFileError(`stdin: more than ${maxBytes >> 20} MiB, the most a ${what} may have`);
    }
    chunks.push(c);
  }
  return decodeInputText(Buffer.concat(chunks, total), 'stdin', what);
}
