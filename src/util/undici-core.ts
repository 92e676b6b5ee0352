/**
 * undici's HTTP/1.1 client without undici's index. `import 'undici'` also
 * loads fetch, WebSocket, EventSource, cookies, caches, mocks and their Node
 * built-ins: about 80 ms of start-up for every command on these cores, of
 * which airlock uses none. These are the same Agent class and request()
 * that the index exports (undici/index.js assigns api-request's function to
 * Dispatcher.prototype.request); undici 7 has no "exports" map, so its files
 * are importable. test/unit/undici-core.test.ts checks both against the
 * index, so an undici upgrade that moves them fails there first.
 */
import type { Dispatcher } from 'undici';
import AgentClass from 'undici/lib/dispatcher/agent.js';
import apiRequest from 'undici/lib/api/api-request.js';

export const Agent = AgentClass;
export type Agent = InstanceType<typeof AgentClass>;

/** `dispatcher.request(opts)`. */
export function request(dispatcher: Dispatcher, opts: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
  return apiRequest.call(dispatcher, opts);
}
