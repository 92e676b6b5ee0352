/**
 * Which file `airlock login` / `logout` write when no --authfile is given.
 *
 * podman (containers/image) writes `$REGISTRY_AUTH_FILE`, else
 * `$XDG_RUNTIME_DIR/containers/auth.json`, else `/run/containers/$UID/auth.json`.
 * That last one is only creatable by root, and a rootless podman sets
 * XDG_RUNTIME_DIR itself, so airlock uses it for root only; other users
 * without XDG_RUNTIME_DIR get `$XDG_CONFIG_HOME/containers/auth.json`
 * (`~/.config/containers/auth.json`), which podman, skopeo, buildah and
 * airlock all read in their default search. Both choices survive in the
 * search order of AuthStore.loadDefault. Like podman, a set but missing
 * XDG_RUNTIME_DIR is an error (CredentialsError), not created.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CredentialsError } from './errors.js';

export function defaultAuthFile(env: NodeJS.ProcessEnv = process.env, uid: number | undefined = process.getuid?.()): string {
  if (env.REGISTRY_AUTH_FILE) return env.REGISTRY_AUTH_FILE;
  if (env.XDG_RUNTIME_DIR) {
    // podman refuses a runtime directory that does not exist rather than create it
    if (!existsSync(env.XDG_RUNTIME_DIR)) throw new CredentialsError(`$XDG_RUNTIME_DIR (${env.XDG_RUNTIME_DIR}) does not exist: create it, unset it, or pass --authfile FILE`);
    return join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json');
  }
  if (uid === 0) return '/run/containers/0/auth.json';
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'containers', 'auth.json');
}

/** The other files podman/docker/oc read (for hints when an entry is not where we looked). */
export function otherAuthFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  const home = env.HOME || homedir();
  return [
    join(env.XDG_CONFIG_HOME || join(home, '.config'), 'containers', 'auth.json'),
    join(env.DOCKER_CONFIG || join(home, '.docker'), 'config.json'),
  ];
}
