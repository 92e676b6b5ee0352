/**
 * Where a mirror run's lines go: the port the executor writes through, so
 * mirror/ never knows about terminals. The CLI implements it with its
 * progress renderer (cli/mirror-console.ts); a test can collect the lines.
 */
export interface MirrorConsole {
  /** Starts the progress display (a no-op without one). */
  start(): void;
  /** Stops the progress display and removes it from the terminal. */
  stop(): void;
  /** Text for stdout (digest lines, instructions), written as given. */
  out(text: string): void;
  /** One message line for stderr (warning, info); a missing final newline is added. */
  message(line: string): void;
  /** One image copy (one destination) is done. */
  imageDone(): void;
}
