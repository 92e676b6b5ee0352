/**
 * The registry-core workflow suite (test/conformance/workflows.ts) against
 * airlock with TLS and authentication on: every request goes over verified
 * TLS with a token scoped to it, obtained by a push account limited to the
 * suite's `conformance/**` namespace. Airlock has no known gaps.
 */
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { SPARSE_REPO_GLOB, describeDistributionSpec, type ClientAuth } from '../conformance/workflows.js';

let airlock: AirlockHandle | undefined;
const started = (): AirlockHandle => {
  if (airlock === undefined) throw new Error('airlock was not started');
  return airlock;
};

describeDistributionSpec({
  name: 'airlock with TLS and token auth',
  get url(): string {
    return started().url;
  },
  get client(): ClientAuth {
    return { caCertPath: started().security!.caCertPath, credentials: { username: 'conformance', password: 'conformance-password' } };
  },
  setup: async () => {
    airlock = await startAirlock({ auth: 'token', config: { sparseRepos: [SPARSE_REPO_GLOB] } });
    await airlock.security!.addUser('conformance', 'conformance-password', { push: ['conformance/**'] });
  },
  teardown: async () => {
    await airlock?.close();
    airlock = undefined;
  },
});
