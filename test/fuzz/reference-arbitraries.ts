/**
 * fast-check generators for image names and transport references: valid
 * parts built from the grammars of src/oci/names.ts and src/reference/,
 * assembled into the strings users write.
 */
import fc from 'fast-check';

const alnum = fc.stringMatching(/^[a-z0-9]{1,5}$/);

/** One repository path component: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`. */
export const component = fc
  .tuple(alnum, fc.array(fc.tuple(fc.constantFrom('.', '_', '__', '-', '--'), alnum), { maxLength: 2 }))
  .map(([head, rest]) => head + rest.map(([sep, s]) => sep + s).join(''));

export const repository = fc.array(component, { minLength: 1, maxLength: 4 }).map((cs) => cs.join('/'));

const label = fc.stringMatching(/^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,6}[a-zA-Z0-9])?$/);
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
const ipv6 = fc.constantFrom('::1', 'fe80::1', '2001:db8::5', '::ffff:127.0.0.1');
const port = fc.integer({ min: 1, max: 65535 });

/** A registry host as written: DNS name with a dot, localhost, IPv4, [IPv6]; optionally a port. */
export const registryHost = fc
  .tuple(
    fc.oneof(
      fc.array(label, { minLength: 2, maxLength: 3 }).map((ls) => ls.join('.')),
      fc.constant('localhost'),
      ipv4,
      ipv6.map((a) => `[${a}]`),
      label.filter((l) => l !== l.toLowerCase()),
    ),
    fc.option(port, { nil: undefined }),
  )
  .map(([h, p]) => (p === undefined ? h : `${h}:${p}`));

export const tag = fc.stringMatching(/^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,15}$/);
export const tagGlob = fc.stringMatching(/^[a-zA-Z0-9_*][a-zA-Z0-9._*-]{0,10}$/);

const hex = (n: number): fc.Arbitrary<string> => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
export const digest = fc.oneof({ weight: 4, arbitrary: hex(64).map((h) => `sha256:${h}`) }, { weight: 1, arbitrary: hex(128).map((h) => `sha512:${h}`) });

export interface NameParts {
  readonly registry: string | undefined;
  readonly repository: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

/** Name parts that format into an unambiguous name (a host-less first component never looks like a host). */
export function nameParts(opts: { glob?: boolean; needHost?: boolean } = {}): fc.Arbitrary<NameParts> {
  return fc
    .record({
      registry: opts.needHost ? registryHost : fc.option(registryHost, { nil: undefined }),
      repository,
      tag: fc.option(opts.glob ? fc.oneof(tag, tagGlob) : tag, { nil: undefined }),
      digest: fc.option(digest, { nil: undefined }),
    })
    .filter((n) => n.registry !== undefined || !(n.repository.split('/')[0]!.includes('.') || n.repository.split('/')[0] === 'localhost'));
}

export function formatParts(n: NameParts): string {
  return `${n.registry === undefined ? '' : `${n.registry}/`}${n.repository}${n.tag === undefined ? '' : `:${n.tag}`}${n.digest === undefined ? '' : `@${n.digest}`}`;
}

/** A layout path: anything without `:` (a layout path ends at the first colon). */
const layoutPath = fc.oneof(fc.constantFrom('./layout', '/tmp/x', 'dir', 'a b/c'), fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.includes(':')));

/** Transport references as users write them. */
export const transportRef: fc.Arbitrary<string> = fc.oneof(
  nameParts({ needHost: true, glob: true }).map((n) => `docker://${formatParts(n)}`),
  nameParts({ needHost: true, glob: true }).map(formatParts),
  fc
    .tuple(layoutPath, fc.option(fc.oneof(tag, digest.map((d) => `@${d}`), fc.stringMatching(/^[a-zA-Z0-9._\-:/+][a-zA-Z0-9._\-:/@+]{0,11}$/)), { nil: undefined }))
    .map(([p, r]) => `oci:${p}${r === undefined ? '' : `:${r}`}`),
  fc.tuple(fc.boolean(), nameParts({ glob: true })).map(([slash, n]) => `file://${slash ? '/' : ''}${formatParts(n)}`),
);
