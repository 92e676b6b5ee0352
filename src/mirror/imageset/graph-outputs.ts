/**
 * `platform.graph: true` in an image-set run: the graph-data tarball is
 * fetched (graph-data.ts), the graph-data image built on the base and
 * pushed as `<dest>/openshift/graph-image:latest` (graph-image.ts), and
 * `updateService.yaml` written into cluster-resources, naming the image by
 * digest and `<dest>/openshift/release-images` as the releases repository
 * (release images never share a repository with their components: the
 * update service's graph builder would read every component as a release
 * and run out of memory, anchors §3.2). A dry run plans the image and
 * writes the resource with `:latest`. A failure is a release failure.
 */
import { createCopyContext } from '../../copy/copy-context.js';
import { updateServiceYaml } from '../resources/update-service.js';
import type { MirrorExecutor } from '../executor.js';
import { fetchGraphData, graphDataUrl } from './graph-data.js';
import { buildGraphImage, DEFAULT_GRAPH_BASE_IMAGE, GRAPH_IMAGE_PATH } from './graph-image.js';
import { destRepository, RELEASE_IMAGES_PATH } from './naming.js';

export interface GraphStepInput {
  readonly dest: string;
  readonly maxNestedPaths: number;
  readonly dryRun: boolean;
  readonly annotations: Readonly<Record<string, string>>;
  /** --graph-data-url (else UPDATE_URL_OVERRIDE's service, else api.openshift.com). */
  readonly graphDataUrl?: string;
  /** --graph-base-image (default registry.access.redhat.com/ubi9/ubi:latest). */
  readonly graphBaseImage?: string;
}

export interface GraphStep {
  /** cluster-resources file name → content. */
  readonly files: Map<string, string>;
  readonly image?: string;
  readonly error?: string;
}

export async function graphStep(x: MirrorExecutor, o: GraphStepInput): Promise<GraphStep> {
  const repository = destRepository(o.dest, GRAPH_IMAGE_PATH, o.maxNestedPaths);
  const releases = destRepository(o.dest, RELEASE_IMAGES_PATH, o.maxNestedPaths);
  const url = graphDataUrl(o.graphDataUrl);
  const base = o.graphBaseImage ?? DEFAULT_GRAPH_BASE_IMAGE;
  const resource = (image: string): Map<string, string> => new Map([['updateService.yaml', updateServiceYaml({ graphDataImage: image, releases, annotations: o.annotations })]]);
  if (o.dryRun) {
    x.console.message(`info: dry run: would build the graph-data image from ${url} on ${base} and push it as ${repository}:latest`);
    return { files: resource(`${repository}:latest`) };
  }
  try {
    const files = await fetchGraphData(url);
    const img = await buildGraphImage({ env: x.env, copy: createCopyContext(), base, files, repository });
    x.console.message(`info: graph-data image ${img.byTag} (${img.digest}): ${files.length} files from ${url} on ${base}`);
    x.console.out(`${img.digest} ${img.byTag}\n`);
    return { files: resource(img.byDigest), image: img.byDigest };
  } catch (e) {
    const error = `graph-data image: ${(e as Error).message}`;
    x.console.message(`error: ${error}`);
    return { files: new Map(), error };
  }
}
