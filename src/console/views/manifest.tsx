/** One manifest: digest, media type, platforms, config, layers or index entries, referrers, annotations, pull specs. */
import { api, bytes, repoPath, when } from '../api.js';
import { Copy, Problem, Section, link, useLoad } from '../components.js';

interface Descriptor {
  digest: string;
  mediaType: string;
  size: number;
  platform?: string;
  artifactType?: string;
  annotations?: Record<string, string>;
}

interface Manifest {
  digest: string;
  mediaType: string;
  size: number;
  artifactType?: string;
  /** The digest of the manifest this one refers to (a signature's, an SBOM's image). */
  subject?: string;
  annotations?: Record<string, string>;
  pushedAt?: number;
  tags: string[];
  platforms: string[];
  totalSize: number;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
  referrers: Descriptor[];
  catalog: boolean;
}

function Annotations({ of }: { of: Record<string, string> | undefined }) {
  const entries = Object.entries(of ?? {});
  if (entries.length === 0) return null;
  return (
    <dl class="annotations" data-list="annotations">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

function Descriptors({ name, items, kind }: { name: string; items: Descriptor[]; kind: 'config' | 'layers' | 'manifests' | 'referrers' }) {
  const blob = kind === 'config' || kind === 'layers';
  return (
    <div class="table-wrap">
      <table data-table={kind}>
        <thead>
          <tr>
            <th scope="col">Digest</th>
            <th scope="col">Media type</th>
            <th scope="col">Size</th>
            {!blob && <th scope="col">{kind === 'referrers' ? 'Artifact type' : 'Platform'}</th>}
          </tr>
        </thead>
        <tbody>
          {items.map((d, i) => (
            <tr key={`${d.digest}${i}`}>
              <td>{blob ? <span class="digest">{d.digest}</span> : <a href={link('manifest', `${name}@${d.digest}`)} class="digest">{d.digest}</a>}</td>
              <td>{d.mediaType}</td>
              <td data-bytes={d.size}>{bytes(d.size)}</td>
              {!blob && <td>{kind === 'referrers' ? (d.artifactType ?? '') : (d.platform ?? '')}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ManifestView({ spec }: { spec: string }) {
  const at = spec.lastIndexOf('@');
  const name = spec.slice(0, at);
  const digest = spec.slice(at + 1);
  const host = location.host;
  const m = useLoad(async () => {
    if (!/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(digest)) throw new Error(`not a digest: ${digest}`);
    return api<Manifest>('GET', `/repositories/${repoPath(name)}/manifests/${digest}`);
  }, spec);
  const d = m.data;
  return (
    <div>
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href="#/repos">All repositories</a> / <a href={link('repo', name)}>{name}</a>
      </nav>
      <h1>Manifest</h1>
      <Problem error={m.error} />
      {d && (
        <>
          <dl class="facts">
            <dt>Repository</dt>
            <dd class="name">{name}</dd>
            <dt>Digest</dt>
            <dd class="digest" data-field="digest">{d.digest}</dd>
            <dt>Media type</dt>
            <dd>{d.mediaType}</dd>
            {d.artifactType && (
              <>
                <dt>Artifact type</dt>
                <dd>{d.artifactType}</dd>
              </>
            )}
            <dt>Tags</dt>
            <dd data-field="tags">{d.tags.join(', ') || '(untagged)'}</dd>
            <dt>Platforms</dt>
            <dd data-field="platforms">{d.platforms.join(', ')}</dd>
            <dt>Size</dt>
            <dd data-field="size" data-bytes={d.totalSize}>
              {bytes(d.totalSize)} ({d.size} bytes of manifest)
            </dd>
            <dt>Pushed</dt>
            <dd>{when(d.pushedAt)}</dd>
            {d.subject && (
              <>
                <dt>Refers to</dt>
                <dd>
                  <a href={link('manifest', `${name}@${d.subject}`)} class="digest" data-field="subject">
                    {d.subject}
                  </a>
                </dd>
              </>
            )}
          </dl>
          {d.catalog && (
            <p>
              This image is an operator catalog: <a href={link('catalog', `${name}@${d.digest}`)}>its packages, channels and heads</a>.
            </p>
          )}
          <Section title="Pull">
            <Copy label="podman pull by digest" text={`podman pull ${host}/${name}@${d.digest}`} />
            <Copy label="pull spec by digest" text={`${host}/${name}@${d.digest}`} />
            {d.tags[0] && <Copy label="podman pull by tag" text={`podman pull ${host}/${name}:${d.tags[0]}`} />}
          </Section>
          {d.annotations && Object.keys(d.annotations).length > 0 && (
            <Section title="Annotations">
              <Annotations of={d.annotations} />
            </Section>
          )}
          {d.config && (
            <Section title="Config">
              <Descriptors name={name} items={[d.config]} kind="config" />
            </Section>
          )}
          {d.layers && (
            <Section title={`Layers (${d.layers.length})`}>
              <Descriptors name={name} items={d.layers} kind="layers" />
            </Section>
          )}
          {d.manifests && (
            <Section title={`Platforms (${d.manifests.length})`}>
              <Descriptors name={name} items={d.manifests} kind="manifests" />
            </Section>
          )}
          <Section title={`Referrers (${d.referrers.length})`}>
            {d.referrers.length === 0 ? <p>No signatures, SBOMs or other referrers.</p> : <Descriptors name={name} items={d.referrers} kind="referrers" />}
          </Section>
        </>
      )}
    </div>
  );
}
