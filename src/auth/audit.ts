/**
 * Audit lines: who did what, when. Logins (success and failure), pushes and
 * deletes. Written through the server's pino logger as
 *   {"time":…,"audit":"login","user":"alice","ip":"…","via":"token","ok":true,"msg":"audit"}
 * Secrets never appear: events carry names, never passwords or tokens.
 */
export type AuditEvent =
  | { readonly audit: 'login'; readonly user: string; readonly ip: string; readonly via: 'token' | 'basic' | 'refresh'; readonly ok: boolean; readonly reason?: string }
  | { readonly audit: 'push' | 'delete' | 'mount'; readonly user: string; readonly ip: string; readonly repo: string; readonly ref?: string; readonly status: number };

export interface AuditLogger {
  info(obj: object, msg: string): void;
}

/** Buffers nothing: events before `attach` go nowhere (nothing happens before the server listens). */
export class AuditLog {
  private logger: AuditLogger | undefined;

  attach(logger: AuditLogger): void {
    this.logger = logger;
  }

  record(e: AuditEvent): void {
    this.logger?.info({ ...e }, 'audit');
  }
}
