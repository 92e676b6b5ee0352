/** An error meant for the user: printed as `error: <message>` without a stack, exit code 2. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}
