/**
 * fast-check generators for manifests as clients push them: valid OCI and
 * Docker image manifests and indexes over blobs a test pushed first (to be
 * spelled by json-spelling.ts), optionally broken in one known way, so the
 * expected refusal is known too.
 */
import fc from 'fast-check';
import { MediaType } from '../../src/oci/media-types.js';
import { digest as anyDigest } from './reference-arbitraries.js';

export interface Known {
  readonly digest: string;
  readonly size: number;
  readonly mediaType: string;
}

/** What the registry holds before the properties run. */
export interface Fixture {
  readonly config: Known;
  readonly dockerConfig: Known;
  readonly layers: readonly Known[];
  readonly children: readonly Known[];
}

export type Breakage =
  | 'none'
  | 'no-schema-version'
  | 'schema-version'
  | 'no-config'
  | 'no-layers'
  | 'layers-not-array'
  | 'bad-digest'
  | 'bad-size'
  | 'bad-descriptor-media-type'
  | 'descriptor-not-object'
  | 'unknown-blob'
  | 'annotation-not-string'
  | 'content-type-mismatch'
  | 'index-with-layers'
  | 'image-with-manifests'
  | 'schema1';

/** The refusal each breakage must get. */
export const EXPECTED_CODE: Record<Exclude<Breakage, 'none'>, string> = {
  'no-schema-version': 'MANIFEST_INVALID',
  'schema-version': 'MANIFEST_INVALID',
  'no-config': 'MANIFEST_INVALID',
  'no-layers': 'MANIFEST_INVALID',
  'layers-not-array': 'MANIFEST_INVALID',
  'bad-digest': 'MANIFEST_INVALID',
  'bad-size': 'MANIFEST_INVALID',
  'bad-descriptor-media-type': 'MANIFEST_INVALID',
  'descriptor-not-object': 'MANIFEST_INVALID',
  'unknown-blob': 'MANIFEST_BLOB_UNKNOWN',
  'annotation-not-string': 'MANIFEST_INVALID',
  'content-type-mismatch': 'MANIFEST_INVALID',
  'index-with-layers': 'MANIFEST_INVALID',
  'image-with-manifests': 'MANIFEST_INVALID',
  schema1: 'MANIFEST_INVALID',
};

export interface Pushed {
  readonly doc: Record<string, unknown>;
  readonly contentType: string;
  /** The media type a GET answers with, when the push is accepted. */
  readonly mediaType: string;
  readonly breakage: Breakage;
}

type Kind = 'oci-image' | 'docker-image' | 'oci-index' | 'docker-list' | 'artifact';

const annotations = fc.dictionary(fc.stringMatching(/^[a-z][a-z.]{0,12}$/), fc.string({ maxLength: 12 }), { maxKeys: 3 });
const extraFields = fc.dictionary(fc.constantFrom('x-extra', 'comment', 'org.example'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 });

function desc(k: Known, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { mediaType: k.mediaType, digest: k.digest, size: k.size, ...extra };
}

const isIndexKind = (k: Kind): boolean => k === 'oci-index' || k === 'docker-list';

function mediaTypeOf(kind: Kind): string {
  if (kind === 'docker-image') return MediaType.DockerManifest;
  if (kind === 'docker-list') return MediaType.DockerManifestList;
  return isIndexKind(kind) ? MediaType.OciIndex : MediaType.OciManifest;
}

/** A valid document of `kind` over the fixture's blobs. */
function validDoc(f: Fixture, kind: Kind, g: { layers: number[]; children: number[]; annotations: Record<string, string>; extra: Record<string, unknown>; declare: boolean; subject: boolean; foreign: boolean }): Record<string, unknown> {
  const docker = kind === 'docker-image' || kind === 'docker-list';
  const head: Record<string, unknown> = { schemaVersion: 2 };
  if (docker || g.declare) head.mediaType = mediaTypeOf(kind);
  const tail: Record<string, unknown> = { ...g.extra };
  if (!docker && Object.keys(g.annotations).length > 0) tail.annotations = g.annotations;
  if (!docker && g.subject) tail.subject = desc(f.children[0]!);
  if (isIndexKind(kind)) {
    const manifests = g.children.map((i) => desc(f.children[i % f.children.length]!, { platform: { architecture: ['amd64', 'arm64', 's390x'][i % 3], os: 'linux' } }));
    return { ...head, manifests, ...tail };
  }
  const layers = g.layers.map((i) => desc(f.layers[i % f.layers.length]!));
  if (g.foreign) layers.push({ mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', digest: `sha256:${'f0'.repeat(32)}`, size: 1234, urls: ['https://example.com/layer'] });
  if (kind === 'artifact') return { ...head, artifactType: 'application/vnd.example.thing', config: desc({ ...f.config, mediaType: MediaType.OciConfig }), layers, ...tail };
  return { ...head, config: desc(docker ? f.dockerConfig : f.config), layers, ...tail };
}

/** Breaks `doc` in one known way; returns the new document and Content-Type. */
function broken(doc: Record<string, unknown>, kind: Kind, b: Breakage, contentType: string, badDigest: string, unknownDigest: string): { doc: Record<string, unknown>; contentType: string } {
  const d = structuredClone(doc);
  const list = (isIndexKind(kind) ? d.manifests : d.layers) as unknown[];
  const firstDesc = (isIndexKind(kind) ? list[0] : d.config) as Record<string, unknown> | undefined;
  switch (b) {
    case 'none':
      break;
    case 'no-schema-version':
      delete d.schemaVersion;
      break;
    case 'schema-version':
      d.schemaVersion = '2';
      break;
    case 'no-config':
      delete d.config;
      break;
    case 'no-layers':
      delete d.layers;
      break;
    case 'layers-not-array':
      d.layers = {};
      break;
    case 'bad-digest':
      firstDesc!.digest = badDigest;
      break;
    case 'bad-size':
      firstDesc!.size = -1;
      break;
    case 'bad-descriptor-media-type':
      firstDesc!.mediaType = '';
      break;
    case 'descriptor-not-object':
      if (isIndexKind(kind)) list[0] = 'sha256:0';
      else d.config = [firstDesc];
      break;
    case 'unknown-blob':
      firstDesc!.digest = unknownDigest;
      break;
    case 'annotation-not-string':
      d.annotations = { ...(d.annotations as object), 'org.example.n': 1 };
      break;
    case 'content-type-mismatch':
      d.mediaType = mediaTypeOf(kind);
      return { doc: d, contentType: isIndexKind(kind) ? MediaType.OciManifest : MediaType.OciIndex };
    case 'index-with-layers':
      d.layers = [];
      break;
    case 'image-with-manifests':
      d.manifests = [];
      break;
    case 'schema1':
      d.schemaVersion = 1;
      break;
  }
  return { doc: d, contentType };
}

/** Which breakages apply to `kind` (an index has no config or layers to drop). */
function breakagesFor(kind: Kind, hasList: boolean): Breakage[] {
  const common: Breakage[] = ['no-schema-version', 'schema-version', 'unknown-blob', 'annotation-not-string', 'content-type-mismatch', 'schema1', 'bad-digest', 'bad-size', 'bad-descriptor-media-type', 'descriptor-not-object'];
  const forList = hasList ? common : common.filter((b) => !['unknown-blob', 'bad-digest', 'bad-size', 'bad-descriptor-media-type', 'descriptor-not-object'].includes(b));
  return isIndexKind(kind) ? [...forList, 'index-with-layers'] : [...common, 'no-config', 'no-layers', 'layers-not-array', 'image-with-manifests'];
}

export function pushedManifest(f: Fixture): fc.Arbitrary<Pushed> {
  return fc
    .record({
      kind: fc.constantFrom<Kind>('oci-image', 'docker-image', 'oci-index', 'docker-list', 'artifact'),
      layers: fc.array(fc.nat(10), { maxLength: 3 }),
      children: fc.array(fc.nat(10), { maxLength: 3 }),
      annotations,
      extra: extraFields,
      declare: fc.boolean(),
      subject: fc.boolean(),
      foreign: fc.boolean(),
      ctStyle: fc.constantFrom('exact', 'exact-params', 'generic', 'none'),
      broken: fc.boolean(),
      pick: fc.nat(),
      badDigest: fc.constantFrom('sha256:abc', 'md5:0', '', 'sha256:' + 'G'.repeat(64), 'sha256:../../etc/passwd', 'SHA256:' + 'a'.repeat(64)),
      unknownDigest: anyDigest,
    })
    .map((g) => {
      const doc = validDoc(f, g.kind, g);
      const mt = mediaTypeOf(g.kind);
      const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
      const ctStyle = declared === undefined && g.ctStyle === 'exact-params' ? 'exact' : g.ctStyle;
      const contentType = ctStyle === 'exact' ? mt : ctStyle === 'exact-params' ? `${mt}; charset=utf-8` : ctStyle === 'generic' ? 'application/json' : '';
      const hasList = isIndexKind(g.kind) ? (doc.manifests as unknown[]).length > 0 : true;
      const options = breakagesFor(g.kind, hasList);
      const breakage: Breakage = g.broken ? options[g.pick % options.length]! : 'none';
      const b = broken(doc, g.kind, breakage, contentType, g.badDigest, g.unknownDigest);
      // without a declared type or a specific Content-Type, a body with "manifests" is an OCI index, anything else an OCI image
      const resolved = declared ?? (ctStyle === 'exact' || ctStyle === 'exact-params' ? mt : isIndexKind(g.kind) ? MediaType.OciIndex : MediaType.OciManifest);
      return { doc: b.doc, contentType: b.contentType, mediaType: resolved, breakage };
    });
}
