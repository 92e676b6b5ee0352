/**
 * A transport: one kind of place images live (a registry, an OCI image
 * layout, oc's file:// disk store, …), with everything that differs between
 * kinds in one object. Each transport's folder exports one; `all.ts` is the
 * only list of them. Nothing outside a transport's folder switches on
 * `ref.transport`: callers ask the transport (through the functions of
 * `all.ts`) what a reference selects, how it is written, or how a reference
 * to another tag of the same repository is made.
 *
 * References are plain, immutable records `{ transport: NAME, … }` (compared
 * with deepEqual, printed with format(); no classes), so one transport never
 * needs another's types.
 */
import type { Digest } from '../oci/digest.js';
import type { ImageName, ParseNameOptions, RegistryRef } from '../reference/image-name.js';
import type { ArchiveEnv } from './archive/archive-transport.js';
import type { RegistryHub } from './registry/registry-hub.js';
import type { ImageDestination, ImageSource } from './types.js';

/** What every parsed reference has: the name of the transport that parsed it. */
export interface TransportReference {
  readonly transport: string;
}

/** What opening a reference may need (built once per command by cli/). */
export interface TransportEnv {
  readonly registries: RegistryHub;
  /** Root of the file:// store for writes, and for reads without fromDir (oc's --dir; default: cwd). */
  readonly dir?: string;
  /** Root of the file:// store for reads (oc's --from-dir). */
  readonly fromDir?: string;
  /** The archive set archive:// references name (mirror to disk writes it, disk to mirror reads it). */
  readonly archive?: ArchiveEnv;
}

/** What a reference selects inside its repository: a tag (or layout ref name), a digest, both, or neither. */
export interface Selector {
  readonly tag?: string;
  readonly digest?: Digest;
}

export interface Transport<R extends TransportReference = TransportReference> {
  /** The `transport` value of the references it parses (unique in the list). */
  readonly name: R['transport'];
  /**
   * The text prefixes it owns (`oci:`, `file://`, `docker://`). The longest
   * prefix that the text starts with picks the transport.
   */
  readonly prefixes: readonly string[];
  /**
   * True for the one transport that also parses text with no transport
   * prefix (a bare `host/repo:tag` is a registry image, as in oc).
   */
  readonly bare?: boolean;
  /** How the selector is called in errors: `a tag or a digest`, `a ref name or @digest`. */
  readonly selectorWords: string;
  /**
   * Parses `text`, which starts with one of `prefixes` (or, when `bare`, with
   * none of any transport's). MUST throw InvalidReferenceError (one line,
   * naming the input) for text it cannot read; never returns a partly valid
   * reference. `opts.allowTagGlob` admits `*` in tags (mapping sources).
   */
  parse(text: string, opts: ParseNameOptions): R;
  /** The canonical text form: parse(format(r)) deep-equals r. */
  format(ref: R): string;
  /** The repository without selector or optional prefix (`host/repo`, `oci:PATH`, `file://repo`), for keys, reports and pull specs. */
  repositoryText(ref: R): string;
  /** What `ref` selects inside its repository. */
  selector(ref: R): Selector;
  /**
   * The same repository selecting `sel` instead (the old tag and digest are
   * dropped; an empty selector names the repository itself). A transport
   * whose references hold one selector keeps the digest when given both.
   */
  withSelector(ref: R, sel: Selector): R;
  /**
   * The `[host/]repository[:tag][@digest]` name of the image, when the
   * transport addresses images by such a name (registries, oc's disk store);
   * undefined for a transport addressed by a path (a layout). Names are what
   * tag globs, mount naming and mirror instructions work on.
   */
  imageName(ref: R): ImageName | undefined;
  /** The registry image, when the reference names one reached over the distribution API (registry scopes, IDMS lookups). */
  registryName(ref: R): RegistryRef | undefined;
  /** Opens the repository for reading. MUST NOT create anything. */
  openSource(env: TransportEnv, ref: R): Promise<ImageSource>;
  /** Opens the repository for writing; nothing needs to exist yet, and nothing is created before the first write. */
  openDestination(env: TransportEnv, ref: R): Promise<ImageDestination>;
  /**
   * One line on what the store holds, for the error of a tag glob that
   * matched nothing (optional; undefined: no hint).
   */
  contentsHint?(env: TransportEnv, ref: R): Promise<string | undefined>;
}
