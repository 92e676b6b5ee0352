/**
 * Starts airlock's registry in-process on 127.0.0.1 with a random port and a
 * fresh temporary data directory (removed on close unless `keepDataDir`).
 * This is the one entry point tests use to get an airlock registry.
 *
 * `auth: 'open'` (the default) is plain HTTP without authentication, as the
 * registry-core tests expect. `auth: 'token'` serves HTTPS with the CA that
 * airlock generates in the data directory and requires logins (token auth and
 * Basic); the handle then has `security` with the CA path, the admin password
 * and a way to add accounts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashSecret, randomToken } from '../../src/auth/passwords.js';
import { robotAccountName, type Grants } from '../../src/auth/store.js';
import { startRegistry, type RunningRegistry } from '../../src/server/start.js';
import type { RegistryConfigInput } from '../../src/config/registry-config.js';

export interface AirlockSecurity {
  /** PEM CA certificate clients must trust (<dataDir>/tls/ca.crt). */
  readonly caCertPath: string;
  /** Password of the `admin` account created on first start. */
  readonly adminPassword: string;
  /** Adds a user with `password`. */
  addUser(name: string, password: string, grants: Partial<Grants>): Promise<void>;
  /** Adds robot+NAME and returns its username and token. */
  addRobot(name: string, grants: Partial<Grants>): Promise<{ username: string; token: string }>;
}

export interface AirlockHandle {
  /** e.g. http://127.0.0.1:41234 (https:// with auth 'token') */
  readonly url: string;
  /** e.g. 127.0.0.1:41234 (for image references) */
  readonly hostPort: string;
  readonly dataDir: string;
  readonly registry: RunningRegistry;
  /** Present with auth 'token'. */
  readonly security?: AirlockSecurity;
  /** The generated CA certificate (PEM), when serving HTTPS. */
  readonly caCertPath?: string;
  close(): Promise<void>;
}

export interface StartAirlockOptions {
  dataDir?: string;
  keepDataDir?: boolean;
  /** Extra configuration (storage, gc, limits, auth settings…); listen/dataDir are set here. */
  config?: RegistryConfigInput;
  /** 'open' (default): plain HTTP, no authentication. 'token': HTTPS (generated CA) with authentication. */
  auth?: 'open' | 'token';
  /** With auth 'open': serve HTTPS with the generated CA anyway (a public registry such as quay.io stands in). */
  tls?: boolean;
}

export async function startAirlock(opts: StartAirlockOptions = {}): Promise<AirlockHandle> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'airlock-test-')));
  const secure = opts.auth === 'token';
  const https = secure || opts.tls === true;
  const registry = await startRegistry({
    logLevel: 'silent',
    ...opts.config,
    listen: '127.0.0.1:0',
    dataDir,
    insecureHttp: !https,
    auth: { ...opts.config?.auth, enabled: secure },
  });
  const hostPort = `127.0.0.1:${registry.port}`;
  let security: AirlockSecurity | undefined;
  if (secure) {
    const store = registry.auth?.store;
    const caCertPath = registry.tls?.managed?.paths.caCert;
    const adminPassword = registry.auth?.adminPassword;
    if (!store || !caCertPath || adminPassword === undefined) {
      await registry.close();
      throw new Error('startAirlock: auth "token" needs a fresh data directory (the admin password is only known on first start)');
    }
    const grants = (g: Partial<Grants>): Grants => ({ admin: g.admin ?? false, pull: g.pull ?? [], push: g.push ?? [] });
    security = {
      caCertPath,
      adminPassword,
      async addUser(name, password, g) {
        store.add({ name, kind: 'user', secretHash: await hashSecret(password), ...grants(g) });
      },
      async addRobot(name, g) {
        const token = randomToken();
        const username = robotAccountName(name);
        store.add({ name: username, kind: 'robot', secretHash: await hashSecret(token), ...grants(g) });
        return { username, token };
      },
    };
  }
  const caCertPath = https ? registry.tls?.managed?.paths.caCert : undefined;
  return {
    url: `${https ? 'https' : 'http'}://${hostPort}`,
    hostPort,
    dataDir,
    registry,
    ...(security ? { security } : {}),
    ...(caCertPath ? { caCertPath } : {}),
    async close() {
      await registry.close();
      if (!opts.keepDataDir && !opts.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
