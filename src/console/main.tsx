/**
 * The airlock console: a hash-routed Preact app over /api/v1. Every value
 * from the registry is rendered as text by Preact (no raw HTML anywhere).
 */
import { render, type JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { currentUser, logout, whenUnauthorized, type Me } from './api.js';
import { CatalogView } from './views/catalog.js';
import { LoginView } from './views/login.js';
import { ManifestView } from './views/manifest.js';
import { TagsView, TreeView } from './views/repos.js';
import { RobotsView } from './views/robots.js';
import { RunsView } from './views/runs.js';
import { StorageView } from './views/storage.js';

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const f = (): void => setHash(location.hash);
    addEventListener('hashchange', f);
    return () => removeEventListener('hashchange', f);
  }, []);
  return hash;
}

const decode = (s: string): string => s.split('/').map(decodeURIComponent).join('/');

function Route({ hash, me }: { hash: string; me: Me }) {
  const path = hash.replace(/^#\/?/, '');
  const [head, ...rest] = path.split('/');
  const arg = decode(rest.join('/'));
  const adminOnly = (view: JSX.Element) =>
    me.admin ? view : (
      <p role="alert" class="error" data-denied="admin">
        This page is for administrators; {me.name} is not one.
      </p>
    );
  switch (head) {
    case 'repo':
      return <TagsView name={arg} />;
    case 'manifest':
      return <ManifestView spec={arg} />;
    case 'catalog':
      return <CatalogView spec={arg} />;
    case 'robots':
      return adminOnly(<RobotsView />);
    case 'storage':
      return adminOnly(<StorageView />);
    case 'runs':
      return <RunsView />;
    default:
      return <TreeView parent={head === 'repos' ? arg : ''} />;
  }
}

function App() {
  const [me, setMe] = useState<Me | undefined | null>(null);
  const [notice, setNotice] = useState('');
  const hash = useHash();
  useEffect(() => {
    whenUnauthorized((message) => {
      setNotice(`Your session ended (${message}). Log in again.`);
      setMe(undefined);
    });
    currentUser().then(setMe, () => setMe(undefined));
  }, []);
  if (me === null) return <p>Loading…</p>;
  if (me === undefined)
    return (
      <LoginView
        notice={notice}
        onLogin={(m) => {
          setNotice('');
          setMe(m);
        }}
      />
    );
  const nav: [string, string, boolean][] = [
    ['#/repos', 'Repositories', true],
    ['#/runs', 'Mirror runs', true],
    ['#/robots', 'Robots', me.admin],
    ['#/storage', 'Storage and GC', me.admin],
  ];
  return (
    <>
      <a href="#main" class="skip" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <header>
        <span class="brand">airlock</span>
        <nav aria-label="Main">
          {nav
            .filter(([, , show]) => show)
            .map(([href, label]) => (
              <a key={href} href={href} aria-current={hash.startsWith(href) ? 'page' : undefined}>
                {label}
              </a>
            ))}
        </nav>
        <span class="who" data-field="user">
          {me.name}
          {me.admin ? ' (admin)' : ''}
        </span>
        {me.session && (
          <button type="button" onClick={() => void logout().finally(() => setMe(undefined))}>
            Log out
          </button>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        <Route hash={hash} me={me} />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
