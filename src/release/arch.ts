/** Architecture names: Go/OCI (`amd64`) ↔ OpenShift tag suffixes (`x86_64`). */

const TO_RELEASE: Record<string, string> = { amd64: 'x86_64', arm64: 'aarch64' };
const FROM_RELEASE: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64' };

/** `amd64` → `x86_64`, `arm64` → `aarch64`, others (`ppc64le`, `s390x`) unchanged. */
export function releaseArchName(goArch: string): string {
  return TO_RELEASE[goArch] ?? goArch;
}

/** Inverse of releaseArchName (`x86_64` → `amd64`). */
export function goArchName(arch: string): string {
  return FROM_RELEASE[arch] ?? arch;
}

/** This machine's architecture in Go/OCI spelling. */
export function hostGoArch(): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ppc64: 'ppc64le', s390x: 's390x', arm: 'arm', ia32: '386' };
  return map[process.arch] ?? process.arch;
}

/** This machine's OS in Go spelling (`linux`, `darwin`, `windows`). */
export function hostGoOs(): string {
  return process.platform === 'win32' ? 'windows' : process.platform;
}
