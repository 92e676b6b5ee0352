// Types for the two undici modules airlock loads directly (src/util/undici-core.ts):
// the same classes and function undici's index exports, under their own files.
declare module 'undici/lib/dispatcher/agent.js' {
  import type { Agent } from 'undici';
  const AgentClass: typeof Agent;
  export default AgentClass;
}

declare module 'undici/lib/api/api-request.js' {
  import type { Dispatcher } from 'undici';
  /** Dispatcher.prototype.request, before undici's index attaches it: call it with the dispatcher as `this`. */
  function request(this: Dispatcher, opts: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>;
  export default request;
}

declare module 'undici/lib/core/connect.js' {
  import type { buildConnector as BuildConnector } from 'undici';
  /** undici's buildConnector (the index re-exports this file's function). */
  const buildConnector: typeof BuildConnector;
  export default buildConnector;
}
