/**
 * The sections of an ImageSetConfiguration (v2alpha1, reference §5.3 and
 * anchors §1.1), each read from its YAML node with positions: `platform`,
 * `operators`, `additionalImages`, `blockedImages` (`helm`: config-helm.ts; `samples`: config-samples.ts). Fields of sections
 * airlock does not implement yet (`targetCatalogSourceTemplate`) fail with
 * "not yet supported"; `platforms`, `targetRepo`/`targetTag` of additional
 * images are read in config-platforms.ts.
 */
import { isScalar, type Node } from 'yaml';
import { CatalogError } from '../../catalog/errors.js';
import { parseCatalogFilter } from '../../catalog/filter-spec.js';
import { isSemver } from '../../catalog/semver.js';
import { InvalidReferenceError, parseRegistryRef } from '../../reference/image-name.js';
import { ARCHITECTURES, type AdditionalImage, type Architecture, type BlockedImage, type OperatorSpec, type PlatformSpec, type ReleaseChannel } from './config-types.js';
import { readPlatforms, readTargetRepo, readTargetTag } from './config-platforms.js';
import { ConfigSource, ImageSetConfigError, type MapEntry } from './yaml-nodes.js';

/** What `--help` and errors list as implemented. */
export const MIRROR_SECTIONS = ['platform', 'operators', 'additionalImages', 'blockedImages', 'helm', 'samples'] as const;
export const UNSUPPORTED_MIRROR_SECTIONS: readonly string[] = [];

const TARGET_CATALOG = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TARGET_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** A fully qualified image reference (host required); `what` names it in the error. */
function imageRef(src: ConfigSource, node: Node | null, field: string, needsTagOrDigest: boolean): string {
  const text = src.string(node, field, 'an image reference (registry/repository:tag or @sha256:…)');
  try {
    const n = parseRegistryRef(text);
    if (needsTagOrDigest && n.tag === undefined && n.digest === undefined) src.fail(node, field, `"${text}" needs a tag or a digest`);
  } catch (e) {
    if (e instanceof InvalidReferenceError) src.fail(node, field, e.message);
    throw e;
  }
  return text;
}

function version(src: ConfigSource, e: MapEntry | undefined, field: string): string | undefined {
  if (e === undefined) return undefined;
  const v = isScalar(e.value) && typeof e.value.value === 'number' ? String(e.value.value) : src.optionalString(e, field, 'a version such as 4.18.1');
  if (v !== undefined && !isSemver(v)) src.fail(e.value, field, `"${v}" is not a version (expected X.Y.Z, such as 4.18.1)`);
  return v;
}

function channel(src: ConfigSource, node: Node, field: string): ReleaseChannel {
  const m = src.map(node, field, ['name', 'type', 'minVersion', 'maxVersion', 'shortestPath', 'full']);
  const name = src.string(m.get('name')?.value ?? node, `${field}.name`);
  const type = src.optionalString(m.get('type'), `${field}.type`) ?? 'ocp';
  if (type !== 'ocp' && type !== 'okd') src.fail(m.get('type')!.value, `${field}.type`, `"${type}" is not a channel type (allowed: ocp, okd)`);
  const minVersion = version(src, m.get('minVersion'), `${field}.minVersion`);
  const maxVersion = version(src, m.get('maxVersion'), `${field}.maxVersion`);
  return {
    name,
    type,
    ...(minVersion !== undefined ? { minVersion } : {}),
    ...(maxVersion !== undefined ? { maxVersion } : {}),
    shortestPath: src.bool(m.get('shortestPath'), `${field}.shortestPath`) ?? false,
    full: src.bool(m.get('full'), `${field}.full`) ?? false,
    where: src.at(node),
  };
}

/** `mirror.platform`. `platforms` (sparse) reads the multi-arch release; it cannot be combined with `architectures`. */
export function readPlatform(src: ConfigSource, node: Node | null, field: string): PlatformSpec {
  const m = src.map(node, field, ['architectures', 'channels', 'release', 'graph', 'kubeVirtContainer', 'platforms']);
  const graph = src.bool(m.get('graph'), `${field}.graph`) === true;
  const kubeVirtContainer = src.bool(m.get('kubeVirtContainer'), `${field}.kubeVirtContainer`) === true;
  const platforms = readPlatforms(src, m.get('platforms'), `${field}.platforms`);
  if (platforms !== undefined && m.get('architectures') !== undefined) src.fail(m.get('platforms')!.key, `${field}.platforms`, 'cannot be combined with architectures (architectures is deprecated: give each as {os: linux, architecture: <arch>} under platforms)');
  const archNodes = src.seq(m.get('architectures')?.value, `${field}.architectures`);
  const architectures = archNodes.map((a, i): Architecture => {
    const v = src.string(a, `${field}.architectures[${i}]`);
    if (!(ARCHITECTURES as readonly string[]).includes(v)) src.fail(a, `${field}.architectures[${i}]`, `"${v}" is not an architecture (allowed: ${ARCHITECTURES.join(', ')})`);
    return v as Architecture;
  });
  const channels = src.seq(m.get('channels')?.value, `${field}.channels`).map((c, i) => channel(src, c, `${field}.channels[${i}]`));
  const seen = new Set<string>();
  for (const c of channels) {
    const key = `${c.type}/${c.name}`;
    if (seen.has(key)) throw new ImageSetConfigError(`${c.where}: ${field}.channels: channel ${c.name} is listed twice`);
    seen.add(key);
  }
  const rel = m.get('release');
  const release = rel === undefined ? undefined : { image: imageRef(src, rel.value, `${field}.release`, true), where: src.at(rel.value) };
  if (channels.length === 0 && release === undefined) src.fail(node, field, 'names no release (give channels or release)');
  return {
    architectures: platforms !== undefined ? ['multi'] : architectures.length > 0 ? [...new Set(architectures)] : ['amd64'],
    channels,
    ...(release ? { release } : {}),
    ...(platforms ? { platforms } : {}),
    ...(graph ? { graph } : {}),
    ...(kubeVirtContainer ? { kubeVirtContainer } : {}),
  };
}

/** One `mirror.operators[]` entry. */
export function readOperator(src: ConfigSource, node: Node, field: string, extra: readonly string[] = []): OperatorSpec {
  const m = src.map(node, field, ['catalog', 'targetCatalog', 'targetTag', 'full', 'skipDependencies', 'packages', 'platforms', ...extra], ['targetCatalogSourceTemplate']);
  const platforms = readPlatforms(src, m.get('platforms'), `${field}.platforms`);
  const catalogNode = m.get('catalog')?.value ?? null;
  if (m.get('catalog') === undefined) src.fail(node, field, 'needs "catalog" (the index image)');
  const catalogText = src.string(catalogNode, `${field}.catalog`);
  if (catalogText.startsWith('oci://')) src.fail(catalogNode, `${field}.catalog`, 'oci:// catalogs are not yet supported by airlock (give the index image in a registry)');
  const catalog = imageRef(src, catalogNode, `${field}.catalog`, true);
  const targetCatalog = src.optionalString(m.get('targetCatalog'), `${field}.targetCatalog`) ?? src.optionalString(m.get('targetName'), `${field}.targetName`);
  if (targetCatalog !== undefined && !TARGET_CATALOG.test(targetCatalog)) src.fail((m.get('targetCatalog') ?? m.get('targetName'))!.value, `${field}.targetCatalog`, `"${targetCatalog}" is not a repository path ([namespace/]name: lowercase letters, digits, . _ - and /)`);
  const targetTag = src.optionalString(m.get('targetTag'), `${field}.targetTag`);
  if (targetTag !== undefined && !TARGET_TAG.test(targetTag)) src.fail(m.get('targetTag')!.value, `${field}.targetTag`, `"${targetTag}" is not a tag (letters, digits, _ . -; at most 128)`);
  src.bool(m.get('full'), `${field}.full`);
  src.bool(m.get('skipDependencies'), `${field}.skipDependencies`);
  // Positions of the package fields: unknown keys and bad versions fail on their own line.
  src.seq(m.get('packages')?.value, `${field}.packages`).forEach((p, i) => {
    const pf = `${field}.packages[${i}]`;
    const pm = src.map(p, pf, ['name', 'defaultChannel', 'minVersion', 'maxVersion', 'channels'], ['minBundle', 'bundles']);
    src.string(pm.get('name')?.value ?? p, `${pf}.name`);
    version(src, pm.get('minVersion'), `${pf}.minVersion`);
    version(src, pm.get('maxVersion'), `${pf}.maxVersion`);
    src.optionalString(pm.get('defaultChannel'), `${pf}.defaultChannel`);
    src.seq(pm.get('channels')?.value, `${pf}.channels`).forEach((c, k) => {
      const cf = `${pf}.channels[${k}]`;
      const cm = src.map(c, cf, ['name', 'minVersion', 'maxVersion'], ['minBundle']);
      src.string(cm.get('name')?.value ?? c, `${cf}.name`);
      version(src, cm.get('minVersion'), `${cf}.minVersion`);
      version(src, cm.get('maxVersion'), `${cf}.maxVersion`);
    });
  });
  const entry = ConfigSource.json(node) as Record<string, unknown>;
  let filter;
  try {
    filter = parseCatalogFilter(Object.fromEntries(Object.entries(entry).filter(([k]) => !extra.includes(k) && k !== 'platforms')), field);
  } catch (e) {
    if (e instanceof CatalogError) src.fail(node, field, e.message.replace(`${field}: `, ''));
    throw e;
  }
  return { catalog, ...(targetCatalog ? { targetCatalog } : {}), ...(targetTag ? { targetTag } : {}), filter, entry, ...(platforms ? { platforms } : {}), where: src.at(node) };
}

export function readAdditional(src: ConfigSource, node: Node, field: string): AdditionalImage {
  const m = src.map(node, field, ['name', 'targetRepo', 'targetTag', 'platforms']);
  if (m.get('name') === undefined) src.fail(node, field, 'needs "name" (the image reference)');
  const name = imageRef(src, m.get('name')!.value, `${field}.name`, false);
  const targetRepo = readTargetRepo(src, m.get('targetRepo'), `${field}.targetRepo`);
  const targetTag = readTargetTag(src, m.get('targetTag'), `${field}.targetTag`);
  const platforms = readPlatforms(src, m.get('platforms'), `${field}.platforms`);
  return { name, ...(targetRepo ? { targetRepo } : {}), ...(targetTag ? { targetTag } : {}), ...(platforms ? { platforms } : {}), where: src.at(node) };
}

/** One `blockedImages[]` entry: a regular expression (v1alpha2's names are literal substrings: `literal`). */
export function readBlocked(src: ConfigSource, node: Node, field: string, literal = false): BlockedImage {
  const m = src.map(node, field, ['name']);
  const valueNode = m.get('name')?.value ?? node;
  const name = src.string(valueNode, `${field}.name`, 'a regular expression');
  let pattern: RegExp;
  try {
    pattern = new RegExp(literal ? name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : name);
  } catch (e) {
    src.fail(valueNode, `${field}.name`, `"${name}" is not a valid regular expression (${(e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '')})`);
  }
  return { name, pattern, where: src.at(node) };
}
