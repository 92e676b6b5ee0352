/** Mirror runs sent with --report-to-registry: history, sizes, durations, missing and failed images, charts. */
import { api, bytes, when } from '../api.js';
import { BarChart } from '../charts.js';
import { Problem, Section, useLoad } from '../components.js';

interface Run {
  id: number;
  command: string;
  startedAt: number;
  finishedAt: number;
  receivedAt: number;
  sentBy: string;
  dryRun: boolean;
  repositories: string[];
  images: number;
  bytes: number;
  missingCount: number;
  missing: string[];
  failedCount: number;
  failed: { image: string; error: string }[];
}

const seconds = (r: Run): number => Math.max(0, r.finishedAt - r.startedAt) / 1000;

export function RunsView() {
  const runs = useLoad(() => api<{ runs: Run[] }>('GET', '/mirror-runs?limit=100'), 'runs');
  const list = runs.data?.runs ?? [];
  const oldestFirst = [...list].reverse();
  return (
    <div>
      <h1>Mirror runs</h1>
      <Problem error={runs.error} />
      {runs.data && list.length === 0 && <p>No run reported yet. Mirror with --report-to-registry to send one.</p>}
      {list.length > 0 && (
        <div class="charts">
          <BarChart title="Bytes per run (oldest to newest)" bars={oldestFirst.map((r) => ({ label: `run ${r.id}`, value: r.bytes, text: bytes(r.bytes) }))} />
          <BarChart title="Time per run (oldest to newest)" bars={oldestFirst.map((r) => ({ label: `run ${r.id}`, value: seconds(r), text: `${seconds(r).toFixed(1)} s` }))} />
        </div>
      )}
      <div class="table-wrap">
        <table data-table="runs">
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Command</th>
              <th scope="col">Finished</th>
              <th scope="col">Duration</th>
              <th scope="col">Images</th>
              <th scope="col">Transferred</th>
              <th scope="col">Missing</th>
              <th scope="col">Failed</th>
              <th scope="col">Into</th>
            </tr>
          </thead>
          <tbody>
            {list.map((r) => (
              <tr key={r.id} data-run={r.id}>
                <td>
                  {r.id}
                  {r.dryRun ? ' (dry run)' : ''}
                </td>
                <td>{r.command}</td>
                <td>{when(r.finishedAt)}</td>
                <td>{seconds(r).toFixed(1)} s</td>
                <td>{r.images}</td>
                <td>{bytes(r.bytes)}</td>
                <td>{r.missingCount}</td>
                <td>{r.failedCount > 0 ? `${r.failedCount} (failed)` : '0'}</td>
                <td>{r.repositories.slice(0, 3).join(', ') + (r.repositories.length > 3 ? ` and ${r.repositories.length - 3} more` : '')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {list
        .filter((r) => r.missing.length + r.failed.length > 0)
        .map((r) => (
          <Section key={r.id} title={`Run ${r.id}: missing and failed images`}>
            <ul class="list">
              {r.missing.map((m) => (
                <li key={`m${m}`}>missing: {m}</li>
              ))}
              {r.failed.map((f) => (
                <li key={`f${f.image}`}>
                  failed: {f.image}: {f.error}
                </li>
              ))}
            </ul>
            {r.missingCount + r.failedCount > r.missing.length + r.failed.length && <p>(list shortened; see the run's report.json)</p>}
          </Section>
        ))}
    </div>
  );
}
