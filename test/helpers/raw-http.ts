/**
 * Hand-made HTTP/1.1 requests over a plain socket, for what HTTP clients
 * refuse to do: declare a body and then not send it. Loopback only.
 */
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  /** undefined when the server closed without answering. */
  readonly status: number | undefined;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

export interface HeldRequest {
  readonly socket: Socket;
  /** Resolves once the body part is handed to the socket. */
  readonly sent: Promise<void>;
  /** Resolves when the server closes the connection, with what it answered; never rejects. */
  readonly closed: Promise<RawResponse>;
}

/**
 * Sends the request head and `body` (only part of what `headers` may
 * declare), then goes silent, leaving the socket open until the server
 * closes it or the caller destroys it.
 */
export function holdRequest(port: number, method: string, path: string, headers: Record<string, string>, body: Buffer): HeldRequest {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => undefined); // a reset is one way of being closed
  const head = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
  const sent = new Promise<void>((resolve) => {
    socket.once('connect', () => {
      socket.write(head);
      socket.write(body, () => resolve());
    });
    socket.once('close', () => resolve());
  });
  const closed = new Promise<RawResponse>((resolve) => socket.once('close', () => resolve(parseResponse(Buffer.concat(chunks)))));
  return { socket, sent, closed };
}

/** Parses one HTTP/1.1 response (Content-Length bodies only). */
export function parseResponse(data: Buffer): RawResponse {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return { status: undefined, headers: {}, body: Buffer.alloc(0) };
  const lines = data.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const len = Number(headers['content-length'] ?? 0);
  return { status: m ? Number(m[1]) : undefined, headers, body: data.subarray(end + 4, end + 4 + len) };
}

/**
 * Sends the request head, then `body` piece by piece, and stops sending as
 * soon as the server answers (a server refusing a large body mid-way
 * answers and closes; a client that kept writing could lose the answer to
 * the reset). Resolves with the answer when the connection closes.
 */
export function sendUntilAnswered(port: number, method: string, path: string, headers: Record<string, string>, body: Buffer, piece = 64 * 1024): Promise<RawResponse> {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  let answered = false;
  socket.on('data', (c: Buffer) => {
    answered = true;
    chunks.push(c);
  });
  socket.on('error', () => undefined);
  const head = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
  socket.once('connect', () => {
    socket.write(head);
    let off = 0;
    const next = (): void => {
      if (answered || off >= body.length || socket.destroyed) return;
      const end = Math.min(body.length, off + piece);
      const part = body.subarray(off, end);
      off = end;
      socket.write(part, () => next());
    };
    next();
  });
  return new Promise((resolve) => socket.once('close', () => resolve(parseResponse(Buffer.concat(chunks)))));
}
