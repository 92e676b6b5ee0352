/**
 * Who a JSON API request is: the same AccessPolicy as /v2 (Basic auth, a
 * registry token for repository reads, anonymous pull globs). The console's
 * session cookie plugs in here too (see sessions in server/console/).
 */
import type { FastifyRequest } from 'fastify';
import type { AccessNeed, AccessPolicy, Principal } from '../access.js';

export interface ApiAuth {
  /** The principal, or throws the seam's RegistryError (401 with a challenge, 403 DENIED). */
  authorize(req: FastifyRequest, need: AccessNeed): Promise<Principal>;
}

/** A session source: undefined when the request carries no session (the seam then decides). */
export interface SessionAuth {
  principal(req: FastifyRequest, need: AccessNeed): Promise<Principal | undefined>;
}

export function apiAuth(access: AccessPolicy, sessions?: SessionAuth): ApiAuth {
  return {
    async authorize(req, need) {
      const viaSession = sessions ? await sessions.principal(req, need) : undefined;
      return viaSession ?? access.authorize(req.raw, need);
    },
  };
}
