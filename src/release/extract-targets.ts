/**
 * Which image and path each `release extract --command` target comes from
 * (oc's table), and how --command-os selects targets: `linux`, `mac`,
 * `windows` (arch amd64), `os/arch`, or `*` for every OS as archives.
 * `arch: 'release'` means the release's own architecture (the plain
 * `installer`/`cli` images).
 */
export interface ExtractTarget {
  readonly os: 'linux' | 'darwin' | 'windows';
  readonly arch: string;
  readonly command: string;
  /** image-references tag of the image holding the file. */
  readonly image: string;
  readonly path: string;
  readonly inject: { readonly image?: boolean; readonly version?: boolean; readonly arch?: boolean };
  /** `%s` = release name. */
  readonly archive: string;
  /** Name of the extracted file when it differs from the command (oc.rhel9 → oc). */
  readonly fileName?: string;
  readonly optional?: boolean;
  /** Missing image or file is not an error (cross-arch targets). */
  readonly newArch?: boolean;
}

const INSTALL = { image: true, version: true, arch: true } as const;
const CLI = { version: true } as const;

const share = (os: string, cmd: string): string => `usr/share/openshift/${os}/${cmd}`;

export const TARGETS: readonly ExtractTarget[] = [
  { os: 'darwin', arch: 'amd64', command: 'oc', image: 'cli-artifacts', path: share('mac', 'oc'), inject: CLI, archive: 'openshift-client-mac-%s.tar.gz' },
  { os: 'darwin', arch: 'arm64', command: 'oc', image: 'cli-artifacts', path: share('mac_arm64', 'oc'), inject: CLI, archive: 'openshift-client-mac-arm64-%s.tar.gz', newArch: true },
  { os: 'linux', arch: 'release', command: 'oc', image: 'cli', path: 'usr/bin/oc', inject: CLI, archive: 'openshift-client-linux-%s.tar.gz' },
  { os: 'linux', arch: 'amd64', command: 'oc', image: 'cli-artifacts', path: share('linux_amd64', 'oc'), inject: CLI, archive: 'openshift-client-linux-amd64-%s.tar.gz' },
  { os: 'linux', arch: 'arm64', command: 'oc', image: 'cli-artifacts', path: share('linux_arm64', 'oc'), inject: CLI, archive: 'openshift-client-linux-arm64-%s.tar.gz', newArch: true },
  { os: 'linux', arch: 'ppc64le', command: 'oc', image: 'cli-artifacts', path: share('linux_ppc64le', 'oc'), inject: CLI, archive: 'openshift-client-linux-ppc64le-%s.tar.gz', newArch: true },
  { os: 'linux', arch: 'amd64', command: 'oc.rhel8', image: 'cli-artifacts', path: share('linux_amd64', 'oc.rhel8'), inject: CLI, archive: 'openshift-client-linux-amd64-rhel8-%s.tar.gz', fileName: 'oc' },
  { os: 'linux', arch: 'amd64', command: 'oc.rhel9', image: 'cli-artifacts', path: share('linux_amd64', 'oc.rhel9'), inject: CLI, archive: 'openshift-client-linux-amd64-rhel9-%s.tar.gz', fileName: 'oc' },
  { os: 'windows', arch: 'amd64', command: 'oc', image: 'cli-artifacts', path: share('windows', 'oc.exe'), inject: CLI, archive: 'openshift-client-windows-%s.tar.gz', fileName: 'oc.exe' },
  { os: 'darwin', arch: 'amd64', command: 'openshift-install', image: 'installer-artifacts', path: share('mac', 'openshift-install'), inject: INSTALL, archive: 'openshift-install-mac-%s.tar.gz' },
  { os: 'darwin', arch: 'arm64', command: 'openshift-install', image: 'installer-artifacts', path: share('mac_arm64', 'openshift-install'), inject: INSTALL, archive: 'openshift-install-mac-arm64-%s.tar.gz', newArch: true },
  { os: 'linux', arch: 'release', command: 'openshift-install', image: 'installer', path: 'usr/bin/openshift-install', inject: INSTALL, archive: 'openshift-install-linux-%s.tar.gz' },
  { os: 'linux', arch: 'amd64', command: 'openshift-install', image: 'installer-artifacts', path: share('linux_amd64', 'openshift-install'), inject: INSTALL, archive: 'openshift-install-linux-amd64-%s.tar.gz', newArch: true },
  { os: 'linux', arch: 'arm64', command: 'openshift-install', image: 'installer-artifacts', path: share('linux_arm64', 'openshift-install'), inject: INSTALL, archive: 'openshift-install-linux-arm64-%s.tar.gz', newArch: true },
  { os: 'linux', arch: 'release', command: 'openshift-baremetal-install', image: 'baremetal-installer', path: 'usr/bin/openshift-install', inject: INSTALL, archive: 'openshift-baremetal-install-linux-%s.tar.gz', optional: true },
  { os: 'linux', arch: 'release', command: 'openshift-install-fips', image: 'baremetal-installer', path: 'usr/bin/openshift-install', inject: INSTALL, archive: 'openshift-install-rhel-%s.tar.gz', optional: true },
  { os: 'linux', arch: 'release', command: 'ccoctl', image: 'cloud-credential-operator', path: 'usr/bin/ccoctl', inject: {}, archive: 'ccoctl-linux-%s.tar.gz', newArch: true },
  { os: 'linux', arch: 'release', command: 'ccoctl.rhel8', image: 'cloud-credential-operator', path: 'usr/bin/ccoctl.rhel8', inject: {}, archive: 'ccoctl-linux-rhel8-%s.tar.gz', fileName: 'ccoctl', newArch: true },
  { os: 'linux', arch: 'release', command: 'ccoctl.rhel9', image: 'cloud-credential-operator', path: 'usr/bin/ccoctl.rhel9', inject: {}, archive: 'ccoctl-linux-rhel9-%s.tar.gz', fileName: 'ccoctl', newArch: true },
];

export const COMMANDS: readonly string[] = [...new Set(TARGETS.map((t) => t.command))];

export class ExtractError extends Error {
  readonly code = 'ERR_RELEASE_EXTRACT';
}

/** Parses --command-os into Go os/arch (`mac` → darwin; a bare OS means amd64; `*` → all). */
export function parseCommandOs(value: string | undefined, host: { os: string; arch: string }): { os: string; arch: string; all: boolean } {
  if (value === undefined || value === '') return { os: host.os, arch: host.arch, all: false };
  if (value === '*') return { os: '*', arch: '*', all: true };
  const parts = value.split('/');
  if (parts.length > 2 || parts.some((p) => p === '')) throw new ExtractError(`invalid --command-os value "${value}" (linux, mac, windows, OS/ARCH or *)`);
  const os = parts[0] === 'mac' ? 'darwin' : parts[0]!;
  return { os, arch: parts[1] ?? 'amd64', all: false };
}

/** oc's selection: the command's targets for the OS/arch (release-arch targets win over their explicit twin). */
export function selectTargets(command: string, sel: { os: string; arch: string; all: boolean }, releaseArch: string): ExtractTarget[] {
  if (!COMMANDS.includes(command)) {
    throw new ExtractError(`unknown command "${command}": the supported commands are ${COMMANDS.map((c) => `'${c}'`).join(', ')}`);
  }
  const out: ExtractTarget[] = [];
  const releaseArchCommands = new Set<string>();
  for (const t of TARGETS.filter((x) => x.command === command)) {
    if (!sel.all && t.os !== sel.os) continue;
    const arch = t.arch === 'release' ? releaseArch : t.arch;
    if (!sel.all && arch !== sel.arch) continue;
    if (t.arch === 'release') releaseArchCommands.add(t.command);
    else if (t.os === 'linux' && t.arch === releaseArch && releaseArchCommands.has(t.command)) continue;
    out.push(t);
  }
  if (out.length === 0) throw new ExtractError(`the command '${command}' is not available for ${sel.os}/${sel.arch}`);
  return out;
}
