/**
 * Registry CA certificates in the containers `certs.d` layout, as podman
 * and docker use them: `DIR/*.crt` are CA certificates for one registry,
 * DIR being `--cert-dir`, or else the first of
 * `$XDG_CONFIG_HOME/containers/certs.d/HOST[:PORT]`,
 * `/etc/containers/certs.d/HOST[:PORT]`, `/etc/docker/certs.d/HOST[:PORT]`
 * that holds any. (Client certificates, `*.cert` + `*.key`, are not used.)
 *
 * $AIRLOCK_CERTS_D (a list of certs.d roots, separated like PATH) replaces
 * the three default roots (tests point it at a temporary directory).
 *
 * `airlock login` takes one CA file, so several are joined into a
 * temporary bundle (CA certificates are public), removed by `cleanup`; the
 * registry client of every other command reads them with certsDCas().
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { CredentialsError } from './errors.js';

export interface CaBundle {
  /** The CA file to trust, if any. */
  readonly caFile?: string;
  /** Files it was made of (for messages). */
  readonly sources: readonly string[];
  cleanup(): void;
}

function crtFiles(dir: string, explicit: boolean): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if (explicit) throw new CredentialsError(`--cert-dir ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    return [];
  }
  return names.filter((n) => n.endsWith('.crt')).sort().map((n) => join(dir, n));
}

/** Default certs.d directories for `host` (host[:port]). */
export function certsDirsFor(host: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const override = env.AIRLOCK_CERTS_D;
  if (override !== undefined && override !== '') return override.split(delimiter).filter((r) => r !== '').map((r) => join(r, host));
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return [join(config, 'containers', 'certs.d', host), join('/etc/containers/certs.d', host), join('/etc/docker/certs.d', host)];
}

/**
 * The PEM text of the `*.crt` files in the first certs.d directory for
 * `host` that holds any (none: empty). An unreadable file is skipped, as
 * podman does not fail on it either.
 */
export function certsDCas(host: string, env: NodeJS.ProcessEnv = process.env): string[] {
  for (const d of certsDirsFor(host, env)) {
    const pems: string[] = [];
    for (const f of crtFiles(d, false)) {
      try {
        pems.push(readFileSync(f, 'utf8'));
      } catch {
        // skipped (see above)
      }
    }
    if (pems.length > 0) return pems;
  }
  return [];
}

/** The CA bundle for `host`: --certificate-authority plus the certs.d `*.crt` files. */
export function caBundle(host: string, opts: { caFile?: string; certDir?: string; dirs?: readonly string[] }): CaBundle {
  let crts: string[] = [];
  if (opts.certDir !== undefined) crts = crtFiles(opts.certDir, true);
  else {
    for (const d of opts.dirs ?? certsDirsFor(host)) {
      crts = crtFiles(d, false);
      if (crts.length > 0) break;
    }
  }
  const sources = [...(opts.caFile !== undefined ? [opts.caFile] : []), ...crts];
  const pems = sources.map((f) => {
    try {
      return readFileSync(f, 'utf8').trim();
    } catch (e) {
      throw new CredentialsError(`cannot read the CA certificate ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  });
  if (sources.length <= 1) return { caFile: sources[0], sources, cleanup: () => {} };
  const dir = mkdtempSync(join(tmpdir(), 'airlock-ca-'));
  const caFile = join(dir, 'ca-bundle.pem');
  writeFileSync(caFile, `${pems.join('\n')}\n`);
  return { caFile, sources, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
