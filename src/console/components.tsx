/** Small shared pieces: copyable pull specs, errors, loading, the hash router's link. */
import { useEffect, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';

export function Copy({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState('');
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(text);
      setDone('copied');
    } catch {
      setDone('select the text and copy it');
    }
  };
  return (
    <div class="copy">
      <code data-copy={label}>{text}</code>
      <button type="button" onClick={copy} aria-label={`Copy ${label}`}>
        Copy
      </button>
      <span role="status" class="note">
        {done}
      </span>
    </div>
  );
}

export function Problem({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p role="alert" class="error">
      Error: {error instanceof Error ? error.message : String(error)}
    </p>
  );
}

/** Loads on mount and whenever `key` changes; `reload` re-runs it. */
export function useLoad<T>(load: () => Promise<T>, key: string): { data: T | undefined; error: unknown; reload: () => void } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    setError(undefined);
    load().then(
      (d) => live && setData(d),
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [key, n]);
  return { data, error, reload: () => setN((x) => x + 1) };
}

export function Section({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <section aria-label={title}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

export const link = (...parts: string[]): string => `#/${parts.map((p) => p.split('/').map(encodeURIComponent).join('/')).join('/')}`;
