/**
 * Runs the distribution-spec workflow suite against airlock in-process.
 * Airlock has no known gaps: every test must pass. The sparse specs' repositories
 * are sparse (`sparseRepos`); every other repository checks references.
 */
import { SPARSE_REPO_GLOB, describeDistributionSpec } from './workflows.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';

let airlock: AirlockHandle | undefined;

describeDistributionSpec({
  name: 'airlock',
  get url(): string {
    if (airlock === undefined) throw new Error('airlock was not started');
    return airlock.url;
  },
  setup: async () => {
    airlock = await startAirlock({ config: { sparseRepos: [SPARSE_REPO_GLOB] } });
  },
  teardown: async () => {
    await airlock?.close();
    airlock = undefined;
  },
});
