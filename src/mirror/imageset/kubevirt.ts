/**
 * `platform.kubeVirtContainer: true` (oc-mirror v2, anchors §1.1): the
 * RHCOS KubeVirt container disk named by the release payload's
 * `/release-manifests/0000_50_installer_coreos-bootimages.yaml` (the
 * `coreos-bootimages` ConfigMap; `data.stream` is CoreOS stream metadata
 * JSON whose `architectures.<arch>.images.kubevirt["digest-ref"]` is the
 * image) joins the plan. Only x86_64 and s390x carry one, as in oc-mirror.
 * It is named as v2 names any payload-referenced image outside the
 * component list: `<dest>/<source path>:sha256-<hex>` (oc-mirror PR 900),
 * with a release origin (component `kubevirt-container`), so the release
 * IDMS covers it. A file that cannot be read is a release failure (fatal).
 */
import { parse as parseYaml } from 'yaml';
import { parseImageName } from '../../reference/image-name.js';
import { parseImageReference } from '../../transports/all.js';
import type { PlanItem } from '../plan.js';
import { v2Target } from './naming.js';
import { ImageSetReleaseError, type SelectedRelease } from './releases.js';

export const BOOTIMAGES_FILE = '0000_50_installer_coreos-bootimages.yaml';
/** Release architectures (Go names) whose stream carries a KubeVirt image, and their stream names. */
const STREAM_ARCH: Readonly<Record<string, string>> = { amd64: 'x86_64', s390x: 's390x' };

/** The `digest-ref` of every architecture's kubevirt image in the file, by stream architecture. */
export function kubeVirtImages(text: string, where: string): Map<string, string> {
  let stream: unknown;
  try {
    const cm = parseYaml(text) as { data?: { stream?: unknown } } | null;
    if (typeof cm?.data?.stream !== 'string') throw new Error('no data.stream');
    stream = JSON.parse(cm.data.stream);
  } catch (e) {
    throw new ImageSetReleaseError(`${where}: not a coreos-bootimages ConfigMap with a JSON data.stream (${(e as Error).message})`);
  }
  const out = new Map<string, string>();
  const arches = (stream as { architectures?: Record<string, { images?: { kubevirt?: Record<string, unknown> } }> }).architectures ?? {};
  for (const [arch, a] of Object.entries(arches)) {
    const ref = a?.images?.kubevirt?.['digest-ref'];
    if (typeof ref !== 'string') continue;
    const n = parseImageName(ref);
    if (n.digest === undefined) throw new ImageSetReleaseError(`${where}: the ${arch} kubevirt image "${ref}" is not a reference by digest`);
    out.set(arch, ref);
  }
  return out;
}

/** The plan items of the kubevirt images of `releases` (deduplicated by reference). */
export function kubeVirtItems(releases: readonly SelectedRelease[], dest: string, max: number, warn: (m: string) => void): PlanItem[] {
  const out = new Map<string, PlanItem>();
  for (const r of releases) {
    const file = r.info.payloadFiles.get(BOOTIMAGES_FILE);
    const where = `${r.image} /release-manifests/${BOOTIMAGES_FILE}`;
    if (file === undefined) {
      warn(`kubeVirtContainer: release ${r.version} has no /release-manifests/${BOOTIMAGES_FILE}; no KubeVirt image mirrored for it`);
      continue;
    }
    const images = kubeVirtImages(file.toString('utf8'), where);
    const wanted = r.architecture === 'multi' ? Object.values(STREAM_ARCH) : [STREAM_ARCH[r.architecture]].filter((a): a is string => a !== undefined);
    const refs = wanted.map((a) => images.get(a)).filter((x): x is string => x !== undefined);
    if (refs.length === 0) warn(`kubeVirtContainer: release ${r.version} (${r.architecture}) names no KubeVirt image for ${wanted.join(', ') || 'this architecture (only x86_64 and s390x have one)'}`);
    for (const ref of refs) {
      if (out.has(ref)) continue;
      const t = v2Target(ref, dest, max);
      out.set(ref, { source: parseImageReference(ref), within: parseImageName(ref).digest!, targets: [{ ref: parseImageReference(t.repository), tag: t.tag }], origins: [{ kind: 'release', component: 'kubevirt-container' }] });
    }
  }
  return [...out.values()];
}
