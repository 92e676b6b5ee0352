/** Shared helpers of the release tests: CLI runs with long timeouts, pull secrets, registry checks. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runAirlockCli, type CliResult } from '../helpers/airlock-process.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';

/** Runs the CLI with HOME=`home` (no ambient credentials) and a long timeout. */
export function airlock(args: readonly string[], home?: string): Promise<CliResult> {
  return runAirlockCli(args, { timeoutMs: 240_000, ...(home ? { env: { HOME: home } } : {}) });
}

/** A pull secret with (dummy) entries for every host, as the seed's LOCAL_SECRET_JSON. */
export async function pullSecret(dir: string, hosts: readonly string[]): Promise<string> {
  const path = join(dir, 'pull-secret.json');
  const auths = Object.fromEntries(hosts.map((h) => [h, { auth: Buffer.from('user:pass').toString('base64'), email: 'me@example.com' }]));
  await writeFile(path, JSON.stringify({ auths: { 'cloud.openshift.com': { auth: Buffer.from('x:y').toString('base64') }, ...auths } }));
  return path;
}

/** Digest each `tag` resolves to in host/repo (undefined when absent). */
export async function resolveTags(registry: string, repository: string, refs: readonly string[]): Promise<(string | undefined)[]> {
  const hub = new RegistryHub({ insecure: () => true });
  try {
    const dst = hub.destination({ registry, repository });
    return await Promise.all(refs.map((r) => dst.resolveManifest(r)));
  } finally {
    await hub.close();
  }
}

/** oc's expected text for `--to R --to-release-image R:TAG` with these sources. */
export function expectedMirrorText(mirror: string, updateImage: string, prefixes: readonly string[], sources: readonly string[], kind: 'icsp' | 'idms', sigDir?: string): string {
  const entries = (indent: string): string => [...sources].sort().map((s) => `${indent}- mirrors:\n${indent}  - ${mirror}\n${indent}  source: ${s}\n`).join('');
  const head = `\nSuccess\nUpdate image:  ${updateImage}\n${prefixes.map((p) => `Mirror prefix: ${p}\n`).join('')}`;
  const key = kind === 'icsp' ? 'imageContentSources' : 'imageDigestSources';
  const obj =
    kind === 'icsp'
      ? `apiVersion: operator.openshift.io/v1alpha1\nkind: ImageContentSourcePolicy\nmetadata:\n  name: example\nspec:\n  repositoryDigestMirrors:\n${entries('  ')}`
      : `apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata:\n  name: example\nspec:\n  imageDigestMirrors:\n${entries('  ')}`;
  const what = kind === 'icsp' ? 'an ImageContentSourcePolicy' : 'an ImageDigestMirrorSet';
  return (
    `${head}\nTo use the new mirrored repository to install, add the following section to the install-config.yaml:\n\n${key}:\n${entries('')}` +
    `\n\nTo use the new mirrored repository for upgrades, use the following to create ${what}:\n\n${obj}` +
    (sigDir ? `\n\nTo apply signature configmaps use 'oc apply' on files found in ${sigDir}\n\n` : '')
  );
}
