/**
 * The Cluster Samples Operator configuration after a samples mirror (seed
 * §4.3.6): `configs.samples.operator.openshift.io/cluster` with
 * `samplesRegistry` set to the mirror, `skippedImagestreams` holding exactly
 * the image streams that were NOT mirrored (every stream of the ConfigMap
 * minus those whose every tag was copied), and `managementState: Managed` so
 * that the operator installs the mirrored streams. Written as a YAML object
 * (`oc apply -f` / `oc replace`) and as the equivalent `oc patch` command.
 */
import { annotationsBlock } from './catalog-source.js';
import { yamlString } from './yaml.js';

export const SAMPLES_CONFIG_FILE = 'samples-operator-config.yaml';

export interface SamplesOperatorConfig {
  /** `host[:port][/prefix]` the image streams import from. */
  readonly samplesRegistry: string;
  /** Streams not mirrored, sorted, each once. */
  readonly skippedImagestreams: readonly string[];
}

/** The streams to skip: all of `streams` except `mirrored`, sorted. */
export function skippedStreams(streams: readonly string[], mirrored: readonly string[]): string[] {
  const m = new Set(mirrored);
  return [...new Set(streams)].filter((s) => !m.has(s)).sort();
}

/** The merge patch's `spec`. */
export function samplesSpec(c: SamplesOperatorConfig): Record<string, unknown> {
  return { managementState: 'Managed', samplesRegistry: c.samplesRegistry, skippedImagestreams: [...c.skippedImagestreams] };
}

export function samplesOperatorConfigYaml(c: SamplesOperatorConfig, annotations?: Readonly<Record<string, string>>): string {
  const skipped = c.skippedImagestreams.length === 0 ? '  skippedImagestreams: []\n' : `  skippedImagestreams:\n${c.skippedImagestreams.map((s) => `  - ${yamlString(s)}\n`).join('')}`;
  return (
    `apiVersion: samples.operator.openshift.io/v1\nkind: Config\nmetadata:\n${annotationsBlock(annotations)}  name: cluster\n` +
    `spec:\n  managementState: Managed\n  samplesRegistry: ${yamlString(c.samplesRegistry)}\n${skipped}`
  );
}

/** `oc patch configs.samples.operator.openshift.io cluster --type merge -p '…'` (the JSON has no single quote). */
export function samplesPatchCommand(c: SamplesOperatorConfig): string {
  return `oc patch configs.samples.operator.openshift.io cluster --type merge -p '${JSON.stringify({ spec: samplesSpec(c) })}'`;
}
