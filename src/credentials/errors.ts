/**
 * Errors of the credentials commands. Messages name the file, the key and the
 * problem, never a secret.
 */

/** Bad input: a malformed credentials file, an invalid registry key, a missing password. */
export class CredentialsError extends Error {
  readonly code = 'ERR_CREDENTIALS';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CredentialsError';
  }
}

/** The registry refused the credentials (`refused`), or could not be asked. Nothing was written. */
export class LoginFailedError extends Error {
  readonly code = 'ERR_LOGIN_FAILED';
  constructor(
    message: string,
    readonly refused = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LoginFailedError';
  }
}
