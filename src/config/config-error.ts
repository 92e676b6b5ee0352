/** A configuration value (flag, environment variable or YAML file) that cannot be used; the message says which and why. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
