/**
 * Reading user names and secrets from the terminal or stdin. Prompts go to
 * stderr so stdout stays clean for scripts; secrets are never echoed.
 */
import { createInterface } from 'node:readline';
import { readStdinText } from '../util/stdin.js';
import { CredentialsError } from './errors.js';

/** True when stdin is a terminal (a prompt can be shown). */
export function interactive(): boolean {
  return process.stdin.isTTY === true;
}

/** All of stdin without its final line break (docker's and podman's --password-stdin). */
export async function readAllStdin(): Promise<string> {
  return (await readStdinText('password', 64 * 1024)).replace(/\r?\n$/, '');
}

/** The first line of stdin (without its line break); the rest is not read. */
export async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) {
    chunks.push(c as Buffer);
    if ((c as Buffer).includes(0x0a)) break;
  }
  process.stdin.pause();
  const text = Buffer.concat(chunks).toString('utf8');
  const nl = text.indexOf('\n');
  return (nl < 0 ? text : text.slice(0, nl)).replace(/\r$/, '');
}

/** A visible answer typed on the terminal (a user name). */
export function promptVisible(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    rl.on('SIGINT', () => {
      rl.close();
      reject(new CredentialsError('aborted'));
    });
    rl.question(prompt, (answer) => {
      rl.close();
      resolve(answer.trim());
    });
  });
}

/** A secret typed on the terminal with echo off (Ctrl-C/Ctrl-D abort, Ctrl-U clears, backspace works). */
export function promptHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    // Echo goes off before the prompt appears: whatever is typed after seeing it is never echoed.
    stdin.setRawMode(true);
    process.stderr.write(prompt);
    stdin.resume();
    let secret = '';
    const done = (err?: Error): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(secret);
    };
    const onData = (d: Buffer): void => {
      for (const ch of d.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(new CredentialsError('aborted'));
        if (ch === '\u0015') secret = '';
        else if (ch === '\u007f' || ch === '\b') secret = [...secret].slice(0, -1).join('');
        else secret += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/**
 * A password: from `--password-stdin` (all of stdin), else an echo-less
 * prompt on a terminal, else the first line of stdin. Empty is refused.
 */
export async function readPassword(opts: { fromStdin: boolean; prompt: string }): Promise<string> {
  const pw = opts.fromStdin ? await readAllStdin() : interactive() ? await promptHidden(opts.prompt) : await readStdinLine();
  if (pw === '') throw new CredentialsError(opts.fromStdin || !interactive() ? 'no password given (stdin was empty)' : 'no password given');
  return pw;
}
