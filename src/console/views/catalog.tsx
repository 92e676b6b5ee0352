/**
 * Catalog view: the packages of an operator catalog image (a mirrored
 * index), each channel with its head, the default channel marked in words,
 * from GET /api/v1/repositories/NAME/catalog/REF. A filter narrows the
 * packages by name. Every string is rendered as text.
 */
import { useState } from 'preact/hooks';
import { api, repoPath } from '../api.js';
import { Problem, link, useLoad } from '../components.js';

interface Channel {
  name: string;
  head: string | null;
  headVersion: string | null;
  error?: string;
  versions: string[];
  deprecated?: string;
}

interface Package {
  name: string;
  defaultChannel: string | null;
  deprecated?: string;
  channels: Channel[];
}

interface CatalogBody {
  digest: string;
  image: string;
  platform: string;
  format: string;
  path: string;
  packages: Package[];
  warnings: string[];
}

/** `name@digest` or `name:tag` (repository names hold no `:` or `@`). */
export function splitSpec(spec: string): { name: string; reference: string } {
  const at = spec.lastIndexOf('@');
  const cut = at >= 0 ? at : spec.lastIndexOf(':');
  return cut < 0 ? { name: spec, reference: '' } : { name: spec.slice(0, cut), reference: spec.slice(cut + 1) };
}

export function CatalogView({ spec }: { spec: string }) {
  const { name, reference } = splitSpec(spec);
  const [filter, setFilter] = useState('');
  const c = useLoad(async () => {
    if (!/^(?:[A-Za-z0-9_][A-Za-z0-9._-]{0,127}|[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+)$/.test(reference)) throw new Error(`not a tag or digest: ${reference}`);
    return api<CatalogBody>('GET', `/repositories/${repoPath(name)}/catalog/${reference}`);
  }, spec);
  const d = c.data;
  const shown = (d?.packages ?? []).filter((p) => p.name.includes(filter.trim()));
  return (
    <div>
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href="#/repos">All repositories</a> / <a href={link('repo', name)}>{name}</a>
      </nav>
      <h1>
        Operator catalog <span class="name">{`${name}${spec.includes('@') ? '@' : ':'}${reference}`}</span>
      </h1>
      {!d && !c.error && <p role="status">Reading the catalog…</p>}
      <Problem error={c.error} />
      {d && (
        <>
          <dl class="facts">
            <dt>Digest</dt>
            <dd class="digest" data-field="catalog-digest">
              <a href={link('manifest', `${name}@${d.digest}`)}>{d.digest}</a>
            </dd>
            <dt>Platform read</dt>
            <dd data-field="catalog-platform">{d.platform}</dd>
            <dt>Catalog</dt>
            <dd>
              {d.format === 'fbc' ? 'file-based catalog' : 'SQLite database (deprecated)'} at {d.path}
            </dd>
            <dt>Packages</dt>
            <dd data-field="catalog-packages">{d.packages.length}</dd>
          </dl>
          {d.warnings.length > 0 && (
            <ul class="list" data-list="catalog-warnings">
              {d.warnings.map((w, i) => (
                <li key={i}>Warning: {w}</li>
              ))}
            </ul>
          )}
          <form role="search" onSubmit={(e) => e.preventDefault()}>
            <label for="package-filter">Package name contains</label>
            <input id="package-filter" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
          </form>
          <div class="table-wrap">
            <table data-table="catalog">
              <thead>
                <tr>
                  <th scope="col">Package</th>
                  <th scope="col">Channel</th>
                  <th scope="col">Default</th>
                  <th scope="col">Head</th>
                  <th scope="col">Head version</th>
                  <th scope="col">Versions</th>
                  <th scope="col">Deprecated</th>
                </tr>
              </thead>
              <tbody>
                {shown.flatMap((p) =>
                  p.channels.length === 0 ?
                    [
                      <tr key={p.name} data-package={p.name}>
                        <th scope="rowgroup">{p.name}</th>
                        <td colSpan={6}>no channels</td>
                      </tr>,
                    ]
                  : p.channels.map((ch, i) => (
                    <tr key={`${p.name}\u0000${ch.name}`} data-package={p.name} data-channel={ch.name}>
                      {i === 0 ? (
                        <th scope="rowgroup" rowSpan={p.channels.length}>
                          {p.name}
                        </th>
                      ) : null}
                      <td>{ch.name}</td>
                      <td>{ch.name === p.defaultChannel ? 'default' : ''}</td>
                      <td data-field="head">{ch.head ?? `none: ${ch.error ?? 'no single head'}`}</td>
                      <td>{ch.headVersion ?? ''}</td>
                      <td>{ch.versions.join(', ')}</td>
                      <td>{[p.deprecated ? `package: ${p.deprecated}` : '', ch.deprecated ? `channel: ${ch.deprecated}` : ''].filter(Boolean).join('; ')}</td>
                    </tr>
                  )),
                )}
              </tbody>
            </table>
          </div>
          {shown.length === 0 && <p>No package matches.</p>}
        </>
      )}
    </div>
  );
}
