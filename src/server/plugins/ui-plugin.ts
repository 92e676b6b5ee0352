/**
 * The console's assets at `/` (index.html) and `/console/*` (the esbuild
 * bundle, its CSS), read once from dist/console/ (scripts/build-console.mjs)
 * when the plugin registers. Every answer carries a CSP without inline
 * script or style (`script-src 'self'`), `frame-ancestors 'none'`, nosniff
 * and no referrer. The page talks only to /api/v1 on the same origin;
 * nothing is fetched from elsewhere. Without built assets `/` answers 503
 * with how to build them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { errorBody } from '../http-util.js';

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const ASSETS: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
};

export interface UiPluginOptions {
  /** Directory of the built assets (default: dist/console of this checkout or install). */
  readonly dir?: string;
}

/** dist/console beside the compiled server (dist/src/server/plugins → dist/console), or under the root when run from source. */
export function defaultConsoleDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '..', '..', '..', 'console'), join(here, '..', '..', '..', 'dist', 'console')];
  return candidates.find((d) => existsSync(join(d, 'index.html'))) ?? candidates[0]!;
}

export const uiPlugin: FastifyPluginAsync<UiPluginOptions> = async (app, o) => {
  const dir = o.dir ?? defaultConsoleDir();
  const files = new Map<string, Buffer>();
  for (const name of Object.keys(ASSETS)) {
    const p = join(dir, name);
    if (existsSync(p)) files.set(name, readFileSync(p));
  }
  const secure = (rep: FastifyReply): FastifyReply =>
    rep
      .header('content-security-policy', CONSOLE_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'no-referrer')
      .header('cross-origin-opener-policy', 'same-origin')
      .header('cache-control', 'no-cache');
  const serve = (name: string, rep: FastifyReply) => {
    const body = files.get(name);
    if (!body) {
      return secure(rep).code(503).header('content-type', 'application/json; charset=utf-8').send(errorBody('UNAVAILABLE', `the console is not built (${join(dir, name)} is missing): run npm run build`));
    }
    return secure(rep).header('content-type', ASSETS[name]!).send(body);
  };
  app.addHook('onRequest', async (req) => {
    req.routeKind = 'console';
  });
  app.get('/', async (_req, rep) => serve('index.html', rep));
  app.get('/console/:file', async (req, rep) => {
    const file = (req.params as { file: string }).file;
    if (file === 'index.html' || !(file in ASSETS)) return secure(rep).code(404).header('content-type', 'application/json; charset=utf-8').send(errorBody('UNSUPPORTED', 'no such console asset'));
    return serve(file, rep);
  });
};
