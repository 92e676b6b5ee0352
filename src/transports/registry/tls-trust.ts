/**
 * What a registry client trusts, and the one TLS context built from it.
 * Node parses every PEM of a `ca` list each time a context is made (about
 * 20 ms for its ~140 roots on these cores, twice that with the system
 * bundle), and tls.connect makes one per connection unless given a
 * `secureContext`: so contexts are built once per distinct CA set, when the
 * first connection needs one, and shared by every connection and every
 * registry client with the same trust.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import type { buildConnector as BuildConnector } from 'undici';
import buildConnector from 'undici/lib/core/connect.js';
import { certsDCas } from '../../credentials/certs-d.js';

const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/ca-bundle.pem', '/etc/ssl/cert.pem'];

/**
 * Node's bundled roots + the system bundle + NODE_EXTRA_CA_CERTS/SSL_CERT_FILE
 * (an explicit `ca` list replaces Node's defaults, so they are added back)
 * + --certificate-authority + the registry's certs.d CAs
 * (`/etc/containers/certs.d/HOST[:PORT]/*.crt` and the other podman/docker
 * locations, credentials/certs-d.ts). Read now: a missing CA file fails here.
 */
export function trustedCas(caFile: string | undefined, registry: string): string[] | undefined {
  const extra: string[] = [];
  for (const f of SYSTEM_BUNDLES) {
    try {
      extra.push(readFileSync(f, 'utf8'));
      break;
    } catch {
      // try the next location
    }
  }
  for (const f of [process.env.NODE_EXTRA_CA_CERTS, process.env.SSL_CERT_FILE]) {
    if (f === undefined || f === '') continue;
    try {
      extra.push(readFileSync(f, 'utf8'));
    } catch {
      // Node itself only warns about an unreadable NODE_EXTRA_CA_CERTS
    }
  }
  if (caFile !== undefined) extra.push(readFileSync(caFile, 'utf8'));
  extra.push(...certsDCas(registry));
  return extra.length === 0 ? undefined : [...rootCertificates, ...extra];
}

/** Contexts by the digest of their CA list (a process holds a handful at most). */
const contexts = new Map<string, SecureContext>();

/** The shared context verifying against exactly `ca`. */
export function secureContextFor(ca: readonly string[]): SecureContext {
  const key = createHash('sha256').update(ca.join('\n')).digest('hex');
  let ctx = contexts.get(key);
  if (ctx === undefined) {
    ctx = createSecureContext({ ca: [...ca] });
    contexts.set(key, ctx);
  }
  return ctx;
}

/**
 * undici's connector for an Agent's `connect` option, built at the first TLS
 * connection:
 * - `insecure`: nothing is verified, so the shared context holds no trust
 *   anchors at all. Node's default context would parse its whole root store
 *   first (about 19 ms of CPU per process, measured in the no-op re-run),
 *   and an insecure registry pays a TLS attempt beside plain http at every
 *   run's discovery;
 * - with `ca`: the shared context verifying against exactly those;
 * - otherwise Node's default context (its roots), verified.
 */
export function registryConnector(insecure: boolean, ca: readonly string[] | undefined): BuildConnector.connector {
  if (!insecure && ca === undefined) return buildConnector({ rejectUnauthorized: true });
  let inner: BuildConnector.connector | undefined;
  return (opts, callback) => {
    inner ??= buildConnector({ rejectUnauthorized: !insecure, secureContext: secureContextFor(insecure ? [] : ca!) });
    return inner(opts, callback);
  };
}
