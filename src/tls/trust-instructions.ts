/** The commands that make a host trust the CA at `caPath` (RHEL/Fedora and Debian/Ubuntu), and podman's per-registry form. */
export function trustInstructions(caPath: string, hostPort: string): string[] {
  return [
    `RHEL/Fedora:   sudo cp ${caPath} /etc/pki/ca-trust/source/anchors/airlock-ca.crt && sudo update-ca-trust`,
    `Debian/Ubuntu: sudo cp ${caPath} /usr/local/share/ca-certificates/airlock-ca.crt && sudo update-ca-certificates`,
    `podman/skopeo only: sudo mkdir -p /etc/containers/certs.d/${hostPort} && sudo cp ${caPath} /etc/containers/certs.d/${hostPort}/ca.crt`,
  ];
}
