/**
 * The files commands are handed (-f, --mapping-file, --idms-file, htpasswd…),
 * read with util/input-file.ts's size cap and UTF-8/BOM rules; every failure
 * becomes one CliError line naming the file.
 */
import { InputFileError, readInputFile } from '../util/input-file.js';
import { CliError } from './cli-error.js';

export async function readCliInput(file: string, what: string, maxBytes: number): Promise<string> {
  try {
    return await readInputFile(file, what, maxBytes);
  } catch (e) {
    if (e instanceof InputFileError) throw new CliError(e.message);
    throw new CliError(`cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
