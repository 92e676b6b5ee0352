/**
 * Skip-or-fail policy for tests that need peer tools (skopeo, podman,
 * docker-registry): without AIRLOCK_REQUIRE_PEERS=1 a missing tool skips the
 * suite with a visible reason; with it (CI) the suite fails.
 */
export interface PeerGate {
  /** pass as describe(..., { skip }) */
  skip: string | false;
  /** when set, the suite must fail with this message */
  failure: string | undefined;
}

export function peerGate(missing: (string | undefined)[]): PeerGate {
  const reasons = missing.filter((m): m is string => m !== undefined);
  if (reasons.length === 0) return { skip: false, failure: undefined };
  const text = reasons.join('; ');
  if (process.env.AIRLOCK_REQUIRE_PEERS === '1') {
    return { skip: false, failure: `AIRLOCK_REQUIRE_PEERS=1 but a peer tool is missing: ${text}` };
  }
  return { skip: `peer tool missing (${text}); set AIRLOCK_REQUIRE_PEERS=1 to make this a failure`, failure: undefined };
}

/** Which registry the interop suites exercise (AIRLOCK_INTEROP_TARGET). */
export type TargetKind = 'airlock' | 'docker-registry';

export function interopTarget(): TargetKind {
  const v = process.env.AIRLOCK_INTEROP_TARGET ?? 'airlock';
  if (v !== 'airlock' && v !== 'docker-registry') throw new Error(`AIRLOCK_INTEROP_TARGET must be airlock or docker-registry, got ${v}`);
  return v;
}

export interface TargetRegistry {
  kind: TargetKind;
  url: string;
  hostPort: string;
  close(): Promise<void>;
}

/**
 * Starts the registry under test: airlock in-process (default), or, with
 * AIRLOCK_INTEROP_TARGET=docker-registry, a docker-registry instance (to
 * check the tests themselves against a reference implementation).
 */
export async function startTarget(): Promise<TargetRegistry> {
  const kind = interopTarget();
  if (kind === 'docker-registry') {
    const { startDockerRegistry } = await import('../../helpers/docker-registry.js');
    const r = await startDockerRegistry();
    return { kind, url: r.url, hostPort: r.hostPort, close: () => r.close() };
  }
  const { startAirlock } = await import('../../helpers/airlock-server.js');
  const a = await startAirlock();
  return { kind, url: a.url, hostPort: a.hostPort, close: () => a.close() };
}
