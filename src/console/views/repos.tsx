/** The repository tree (nested names), a search by prefix, and a repository's tags. */
import { useState } from 'preact/hooks';
import { api, bytes, repoPath, when } from '../api.js';
import { Copy, Problem, Section, link, useLoad } from '../components.js';
import { ReleaseSection } from './release.js';

interface Node {
  name: string;
  path: string;
  repository: boolean;
  children: boolean;
}

interface Tag {
  name: string;
  digest: string;
  mediaType: string;
  size: number;
  totalSize: number;
  pushedAt: number;
  taggedAt: number;
  platforms: string[];
  referrers: number;
  catalog: boolean;
}

function Crumbs({ path }: { path: string }) {
  const parts = path === '' ? [] : path.split('/');
  return (
    <nav aria-label="Breadcrumb" class="crumbs">
      <a href="#/repos">All repositories</a>
      {parts.map((p, i) => (
        <span key={i}>
          {' / '}
          <a href={link('repos', parts.slice(0, i + 1).join('/'))}>{p}</a>
        </span>
      ))}
    </nav>
  );
}

/** Pages through a cursor API: the first page on load, more on request. */
function usePages<T>(fetchPage: (cursor: string | null) => Promise<{ items: T[]; next: string | null }>, key: string) {
  const [extra, setExtra] = useState<{ key: string; items: T[]; next: string | null } | undefined>(undefined);
  const first = useLoad(() => fetchPage(null), key);
  const cur = extra?.key === key ? extra : undefined;
  const items = [...(first.data?.items ?? []), ...(cur?.items ?? [])];
  const next = cur ? cur.next : (first.data?.next ?? null);
  const more = async (): Promise<void> => {
    if (next === null) return;
    const p = await fetchPage(next);
    setExtra({ key, items: [...(cur?.items ?? []), ...p.items], next: p.next });
  };
  return { items, next, more, error: first.error, loaded: first.data !== undefined };
}

export function TreeView({ parent }: { parent: string }) {
  const [q, setQ] = useState('');
  const [search, setSearch] = useState('');
  const tree = usePages<Node>(async (cursor) => {
    const r = await api<{ nodes: Node[]; next: string | null }>('GET', `/tree?parent=${encodeURIComponent(parent)}&limit=200${cursor ? `&cursor=${cursor}` : ''}`);
    return { items: r.nodes, next: r.next };
  }, `tree:${parent}`);
  const found = usePages<{ name: string }>(async (cursor) => {
    if (search === '') return { items: [], next: null };
    const r = await api<{ repositories: { name: string }[]; next: string | null }>('GET', `/repositories?q=${encodeURIComponent(search)}&limit=100${cursor ? `&cursor=${cursor}` : ''}`);
    return { items: r.repositories, next: r.next };
  }, `search:${search}`);
  return (
    <div>
      <h1>Repositories</h1>
      <form
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setSearch(q.trim());
        }}
      >
        <label for="repo-search">Name starts with</label>
        <input id="repo-search" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
        <button type="submit">Search</button>
      </form>
      {search !== '' && (
        <Section title={`Repositories starting with ${search}`}>
          <Problem error={found.error} />
          <ul class="list" data-list="search">
            {found.items.map((r) => (
              <li key={r.name}>
                <a href={link('repo', r.name)}>{r.name}</a>
              </li>
            ))}
          </ul>
          {found.loaded && found.items.length === 0 && <p>No repository matches.</p>}
          {found.next !== null && <button onClick={found.more}>More results</button>}
        </Section>
      )}
      <Crumbs path={parent} />
      <Problem error={tree.error} />
      <ul class="list tree" data-list="tree">
        {tree.items.map((n) => (
          <li key={n.path}>
            {n.children ? <a href={link('repos', n.path)}>{n.name}/</a> : <span>{n.name}</span>}
            {n.repository && (
              <>
                {' '}
                <a href={link('repo', n.path)} aria-label={`Tags of ${n.path}`} class="tag-link">
                  [repository: tags]
                </a>
              </>
            )}
          </li>
        ))}
      </ul>
      {tree.loaded && tree.items.length === 0 && <p>Nothing here.</p>}
      {tree.next !== null && <button onClick={tree.more}>More</button>}
    </div>
  );
}

export function TagsView({ name }: { name: string }) {
  const host = location.host;
  const tags = usePages<Tag>(async (cursor) => {
    const r = await api<{ tags: Tag[]; next: string | null }>('GET', `/repositories/${repoPath(name)}/tags?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
    return { items: r.tags, next: r.next };
  }, `tags:${name}`);
  return (
    <div>
      <Crumbs path={name} />
      <h1>
        Tags of <span class="name">{name}</span>
      </h1>
      <Problem error={tags.error} />
      <div class="table-wrap">
        <table data-table="tags">
          <thead>
            <tr>
              <th scope="col">Tag</th>
              <th scope="col">Digest</th>
              <th scope="col">Platforms</th>
              <th scope="col">Size</th>
              <th scope="col">Pushed</th>
              <th scope="col">Referrers</th>
            </tr>
          </thead>
          <tbody>
            {tags.items.map((t) => (
              <tr key={t.name}>
                <td>
                  <span data-tag={t.name}>{t.name}</span>
                  {t.catalog && (
                    <>
                      {' '}
                      <a href={link('catalog', `${name}:${t.name}`)} data-catalog-link={t.name} aria-label={`Operator catalog of ${name}:${t.name}`}>
                        [operator catalog]
                      </a>
                    </>
                  )}
                </td>
                <td>
                  <a href={link('manifest', `${name}@${t.digest}`)} class="digest">
                    {t.digest}
                  </a>
                </td>
                <td>{t.platforms.join(', ')}</td>
                <td>{bytes(t.totalSize)}</td>
                <td>{when(t.pushedAt)}</td>
                <td>{t.referrers}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {tags.loaded && tags.items.length === 0 && <p>No tags.</p>}
      {tags.next !== null && <button onClick={tags.more}>More tags</button>}
      {tags.loaded && <ReleaseSection name={name} firstTags={tags.items.map((t) => t.name)} />}
      {tags.items[0] && (
        <Section title="Pull">
          <Copy label="podman pull" text={`podman pull ${host}/${name}:${tags.items[0].name}`} />
        </Section>
      )}
    </div>
  );
}
