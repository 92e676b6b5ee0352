/** Storage and GC (admins): totals and deduplication, bytes per repository, GC history, a dry run on request. */
import { useState } from 'preact/hooks';
import { api, bytes, when } from '../api.js';
import { Problem, Section, useLoad } from '../components.js';

interface GcRun {
  finishedAt: number;
  durationMs: number;
  manifests: number;
  blobs: number;
  uploads: number;
  bytes: number;
  strayFiles: number;
  missingFiles: number;
}

interface Summary {
  repositories: number;
  blobs: number;
  blobBytes: number;
  linkedBytes: number;
  dedupRatio: number;
  gcRuns: GcRun[];
}

interface Usage {
  name: string;
  blobs: number;
  manifests: number;
  bytes: number;
}

interface Plan {
  manifests: number;
  blobs: number;
  uploads: number;
  strayFiles: number;
  bytes: number;
  sample: { repo: string; digest: string; size: number }[];
}

export function StorageView() {
  const sum = useLoad(() => api<Summary>('GET', '/storage'), 'storage');
  const usage = useLoad(() => api<{ repositories: Usage[] }>('GET', '/storage/repositories?limit=200'), 'usage');
  const [plan, setPlan] = useState<Plan | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const dryRun = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      setPlan(await api<Plan>('GET', '/storage/gc-plan'));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const s = sum.data;
  return (
    <div>
      <h1>Storage and garbage collection</h1>
      <Problem error={sum.error ?? usage.error ?? error} />
      {s && (
        <dl class="facts" data-list="storage">
          <dt>Repositories</dt>
          <dd>{s.repositories}</dd>
          <dt>Blobs</dt>
          <dd>{s.blobs}</dd>
          <dt>On disk</dt>
          <dd data-field="blobBytes" data-bytes={s.blobBytes}>
            {bytes(s.blobBytes)}
          </dd>
          <dt>Without deduplication</dt>
          <dd data-field="linkedBytes" data-bytes={s.linkedBytes}>
            {bytes(s.linkedBytes)}
          </dd>
          <dt>Deduplication ratio</dt>
          <dd data-field="dedup">{s.dedupRatio.toFixed(2)}×</dd>
        </dl>
      )}
      <Section title="What a collection would reclaim now">
        <button type="button" onClick={dryRun} disabled={busy}>
          {busy ? 'Running dry run…' : 'GC dry run'}
        </button>
        {plan && (
          <div data-result="gc-plan" role="status">
            <p>
              A collection would remove <span data-field="plan-manifests">{plan.manifests}</span> manifests, <span data-field="plan-blobs">{plan.blobs}</span> blobs, {plan.uploads} stale uploads and {plan.strayFiles} stray files, reclaiming{' '}
              <span data-field="plan-bytes" data-bytes={plan.bytes}>
                {bytes(plan.bytes)}
              </span>. Nothing was changed.
            </p>
            {plan.sample.length > 0 && (
              <ul class="list">
                {plan.sample.map((m) => (
                  <li key={`${m.repo}@${m.digest}`}>
                    {m.repo}@{m.digest} ({bytes(m.size)})
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
      </Section>
      <Section title="Bytes per repository">
        <div class="table-wrap">
          <table data-table="usage">
            <thead>
              <tr>
                <th scope="col">Repository</th>
                <th scope="col">Manifests</th>
                <th scope="col">Blobs</th>
                <th scope="col">Bytes</th>
              </tr>
            </thead>
            <tbody>
              {(usage.data?.repositories ?? []).map((u) => (
                <tr key={u.name} data-usage={u.name}>
                  <td>{u.name}</td>
                  <td>{u.manifests}</td>
                  <td>{u.blobs}</td>
                  <td data-bytes={u.bytes}>{bytes(u.bytes)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Section>
      <Section title="GC history">
        {s && s.gcRuns.length === 0 && <p>No collection has run yet.</p>}
        <div class="table-wrap">
          <table data-table="gc-runs">
            <thead>
              <tr>
                <th scope="col">Finished</th>
                <th scope="col">Duration</th>
                <th scope="col">Manifests</th>
                <th scope="col">Blobs</th>
                <th scope="col">Reclaimed</th>
              </tr>
            </thead>
            <tbody>
              {(s?.gcRuns ?? []).map((r) => (
                <tr key={r.finishedAt}>
                  <td>{when(r.finishedAt)}</td>
                  <td>{(r.durationMs / 1000).toFixed(1)} s</td>
                  <td>{r.manifests}</td>
                  <td>{r.blobs}</td>
                  <td data-bytes={r.bytes}>{bytes(r.bytes)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Section>
    </div>
  );
}
