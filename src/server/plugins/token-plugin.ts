/** The Docker token endpoint at /token (registered only when authentication is on). */
import type { FastifyPluginAsync } from 'fastify';
import type { TokenEndpoint } from '../../auth/token-endpoint.js';
import { RegistryError } from '../../registry/errors.js';
import { header, readBody, splitUrl } from '../http-util.js';
import { clientAddress } from '../../util/client-address.js';

export interface TokenPluginOptions {
  readonly endpoint: TokenEndpoint;
  /** A form body that sends nothing for this long is refused (408). */
  readonly idleTimeoutMs: number;
}

/** The form body of POST /token is at most this long. */
const FORM_MAX_BYTES = 64 * 1024;

export const tokenPlugin: FastifyPluginAsync<TokenPluginOptions> = async (app, o) => {
  app.route({
    method: ['GET', 'POST'],
    url: '/token',
    handler: async (req, rep) => {
      req.routeKind = 'token';
      const { query } = splitUrl(req.url);
      let form: URLSearchParams | undefined;
      if (req.method === 'POST') {
        const type = header(req.raw, 'content-type') ?? '';
        if (!/^application\/x-www-form-urlencoded\b/i.test(type)) {
          throw new RegistryError('UNSUPPORTED', 'POST /token takes application/x-www-form-urlencoded', undefined, 415);
        }
        form = new URLSearchParams((await readBody(req.raw, FORM_MAX_BYTES, o.idleTimeoutMs)).toString('utf8'));
      }
      const r = await o.endpoint.handle({ method: req.method, query, authorization: req.headers.authorization, ip: clientAddress(req.raw), ...(form ? { form } : {}) });
      return rep.code(r.status).headers(r.headers).send(r.body);
    },
  });
};
