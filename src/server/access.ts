import type { IncomingMessage } from 'node:http';

export type Action = 'pull' | 'push' | 'delete';

/** What one request needs: actions on a repository, the catalog, or the admin parts of the JSON API. */
export type AccessNeed =
  | { readonly repo: string; readonly actions: readonly Action[] }
  | { readonly catalog: true }
  | { readonly ping: true }
  | { readonly admin: true };

export interface Principal {
  readonly name: string;
  /** May this principal read `repo`? (mount sources, catalog filtering) */
  canRead(repo: string): boolean;
  /** An administrator (accounts, robots, storage); true for everyone on an open registry. */
  readonly admin: boolean;
}

/**
 * The seam where authentication and authorization plug into the HTTP layer.
 * `authorize` MUST throw a RegistryError (UNAUTHORIZED with the challenge
 * headers, or DENIED) when the request may not proceed.
 */
export interface AccessPolicy {
  authorize(req: IncomingMessage, need: AccessNeed): Promise<Principal>;
}

/** No authentication: every request is allowed (only with an explicit opt-in). */
export class OpenAccess implements AccessPolicy {
  private readonly anyone: Principal = { name: 'anonymous', canRead: () => true, admin: true };
  async authorize(): Promise<Principal> {
    return this.anyone;
  }
}
