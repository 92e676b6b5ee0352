/**
 * `airlock verify`: is the mirror complete, before the install? Reads the
 * cluster resources (IDMS/ITMS/ICSP files or a cluster-resources/ directory)
 * and what the cluster will pull (references, mapping files, releases),
 * resolves each image as CRI-O would and checks the exact content at the
 * source it settles on (src/mirror/verify/). Optionally writes the
 * registries.conf drop-in and containerd hosts.toml files the resources
 * amount to.
 */
import { dirname, basename, join } from 'node:path';
import { Command, Option } from 'commander';
import { writeFiles } from '../../mirror/imageset/outputs.js';
import { imageSetInputs } from '../../mirror/verify/imageset-inputs.js';
import { containerdHosts } from '../../mirror/verify/containerd-hosts.js';
import { readMirrorRules, VerifyInputError } from '../../mirror/verify/mirror-rules.js';
import { pullReference, readMappingSources, readReferenceList, uniqueInputs, type PullInput } from '../../mirror/verify/pull-inputs.js';
import { registriesConfToml, registryEntries } from '../../mirror/verify/registries-conf.js';
import { catalogInputs, releaseInputs, verifyAll, type ImageVerdict } from '../../mirror/verify/verify-run.js';
import { RegistryHub } from '../../transports/registry/registry-hub.js';
import { CliError } from '../cli-error.js';
import { hubOptions, positiveInt, withConnectionFlags, type ConnectionFlags } from './registry-flags.js';

interface VerifyFlags extends ConnectionFlags {
  resources: string[];
  image: string[];
  filename: string[];
  mapping: string[];
  release: string[];
  catalog: string[];
  config: string[];
  graphUrl?: string;
  writeRegistriesConf?: string;
  writeContainerdHosts?: string;
  insecureMirrors?: boolean;
  parallel: number;
  output: 'text' | 'json';
}

const collect = (v: string, acc: string[]): string[] => [...acc, v];

const LABEL: Record<ImageVerdict['verdict'], string> = { mirror: 'mirror     ', 'source-only': 'source-only', missing: 'missing    ' };

function text(v: ImageVerdict): string {
  const head = v.verdict === 'mirror' ? `${LABEL[v.verdict]} ${v.reference} <- ${v.servedBy}` : v.verdict === 'source-only' ? `${LABEL[v.verdict]} ${v.reference}: only the source serves it (would fail disconnected): ${v.reason}` : `${LABEL[v.verdict]} ${v.reference}: ${v.reason}`;
  return `${head}\n${v.trying.map((t) => `    ${t}\n`).join('')}`;
}

async function userError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof VerifyInputError) throw new CliError(e.message);
    throw e;
  }
}

async function verify(f: VerifyFlags): Promise<void> {
  if (f.resources.length === 0) throw new CliError('--resources is required: IDMS/ITMS/ICSP files or a cluster-resources/ directory (repeatable)');
  const rules = await userError(() => readMirrorRules(f.resources));
  const entries = registryEntries(rules);
  const json = f.output === 'json';
  const written: string[] = [];
  if (f.writeRegistriesConf !== undefined) {
    const toml = registriesConfToml(entries, { insecureMirrors: f.insecureMirrors, header: [`containers-registries.conf(5) v2 drop-in written by airlock verify from ${f.resources.join(', ')}`] });
    await writeFiles(dirname(f.writeRegistriesConf), new Map([[basename(f.writeRegistriesConf), toml]]));
    written.push(f.writeRegistriesConf);
  }
  const warnings: string[] = [];
  if (f.writeContainerdHosts !== undefined) {
    const h = containerdHosts(rules, { skipVerify: f.insecureMirrors });
    warnings.push(...h.warnings);
    await writeFiles(f.writeContainerdHosts, new Map([...h.files].map(([host, t]) => [join(host, 'hosts.toml'), t])));
    written.push(...[...h.files.keys()].map((host) => join(f.writeContainerdHosts!, host, 'hosts.toml')));
  }
  for (const w of warnings) if (!json) process.stderr.write(`warning: ${w}\n`);
  const hub = new RegistryHub(await hubOptions(f, { retries: true }));
  try {
    const inputs: PullInput[] = await userError(async () => {
      const out: PullInput[] = f.image.map((r, i) => ({ reference: pullReference(r, `--image ${i + 1}`), origin: '--image' }));
      for (const file of f.filename) out.push(...(await readReferenceList(file)));
      for (const file of f.mapping) out.push(...(await readMappingSources(file)));
      for (const r of f.release) out.push(...(await releaseInputs(hub, entries, pullReference(r, '--release'))));
      for (const c of f.catalog) out.push(...(await catalogInputs(hub, entries, pullReference(c, '--catalog'))));
      for (const file of f.config) {
        const s = await imageSetInputs(hub, file, { graphUrl: f.graphUrl });
        warnings.push(...s.warnings);
        if (!json) for (const w of s.warnings) process.stderr.write(`warning: ${w}\n`);
        out.push(...s.inputs);
      }
      return uniqueInputs(out);
    });
    if (inputs.length === 0 && written.length === 0) throw new CliError('nothing to verify: give --image, -f LIST, --mapping FILE, --release REF, --catalog REF or --config ISC (or --write-registries-conf / --write-containerd-hosts)');
    const verdicts = await verifyAll(hub, entries, inputs, f.parallel);
    const count = (v: ImageVerdict['verdict']): number => verdicts.filter((x) => x.verdict === v).length;
    const counts = { mirror: count('mirror'), sourceOnly: count('source-only'), missing: count('missing') };
    const ok = counts.sourceOnly === 0 && counts.missing === 0;
    if (json) {
      process.stdout.write(`${JSON.stringify({ ok, counts, rules: rules.length, written, warnings, images: verdicts }, null, 2)}\n`);
    } else {
      for (const v of verdicts) process.stdout.write(text(v));
      for (const w of written) process.stderr.write(`info: wrote ${w}\n`);
      if (inputs.length > 0) process.stderr.write(`info: ${inputs.length} images: ${counts.mirror} served by a mirror, ${counts.sourceOnly} only by the source (would fail disconnected), ${counts.missing} missing everywhere\n`);
    }
    if (!ok) {
      if (!json) process.stderr.write('error: some images would not be pulled from the mirror\n');
      process.exitCode = 1;
    }
  } finally {
    await hub.close();
  }
}

export function verifyCommand(): Command {
  const cmd = new Command('verify')
    .description('Check, before the install, that every image the cluster will pull resolves through its mirrors and is complete there')
    .option('-r, --resources <path>', 'IDMS/ITMS/ICSP file, or a cluster-resources/ directory (repeatable)', collect, [])
    .option('--image <ref>', 'an image the cluster will pull (repeatable)', collect, [])
    .option('-f, --filename <file>', 'a list of images, one reference per line (# comments; repeatable)', collect, [])
    .option('--mapping <file>', 'a mapping file (SRC=DST or SRC DST lines, e.g. mapping.txt): its sources (repeatable)', collect, [])
    .option('--release <ref>', 'a release image: it and every component of its payload (repeatable)', collect, [])
    .option('--catalog <ref>', 'an operator index image: it and every related image of every bundle (repeatable)', collect, [])
    .option('-c, --config <file>', 'an ImageSetConfiguration: every source image airlock mirror plans for it (planned dry, nothing copied; repeatable)', collect, [])
    .option('--graph-url <url>', 'with --config: Cincinnati graph endpoint for release channels (default: UPDATE_URL_OVERRIDE, else api.openshift.com)')
    .option('--write-registries-conf <file>', 'write the containers-registries.conf(5) v2 drop-in the resources amount to')
    .option('--write-containerd-hosts <dir>', 'write containerd hosts.toml files (<dir>/<registry host>/hosts.toml)')
    .option('--insecure-mirrors', 'in the written files, mark mirrors insecure (registries.conf insecure = true, hosts.toml skip_verify)')
    .option('--parallel <n>', 'images checked at once', positiveInt('--parallel'), 4);
  withConnectionFlags(cmd, { retries: true });
  return cmd
    .addOption(new Option('-o, --output <format>', 'output format (json: one document on stdout)').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      `
Each image is resolved as CRI-O resolves it with the registries.conf those resources amount to:
digest mirrors (IDMS, ICSP) only for digest references, tag mirrors (ITMS) only for tags, mirrors
in order, the source last (never with NeverContactSource). The node settles on the first source
whose manifest answers; that source must serve the exact digest, every child of a list and every
blob. Each image is reported as served by a mirror, only by the source (a disconnected cluster
would fail), or missing everywhere, with the "Trying to access" lines the node would log.
Exit status 1 when any image is not served by a mirror.

Example:
  airlock verify -r oc-mirror-workspace/working-dir/cluster-resources \\
    --release quay.io/openshift-release-dev/ocp-release@sha256:… --mapping mapping.txt \\
    --write-registries-conf 99-mirrors.conf --write-containerd-hosts certs.d

  # Everything an image-set config mirrors (releases, catalogs, additional, Helm and sample images)
  airlock verify -r workspace/working-dir/cluster-resources -c imageset-config.yaml`,
    )
    .action((f: VerifyFlags) => verify(f));
}
