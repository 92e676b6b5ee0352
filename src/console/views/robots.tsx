/**
 * Robots (admins): the list, creation with pull/push globs, the pull-secret
 * entry shown once (it is never fetched again), rotation and removal. A
 * robot that can push gets a warning before its entry is used as a
 * cluster's pull secret: every node would get write access.
 */
import { useState } from 'preact/hooks';
import { api, when } from '../api.js';
import { Copy, Problem, Section, useLoad } from '../components.js';

interface Robot {
  name: string;
  pull: string[];
  push: string[];
  createdAt: number;
  updatedAt: number;
}

interface Issued {
  robot: Robot;
  token: string;
  pullSecret: unknown;
  hints?: string[];
}

const globs = (s: string): string[] => s.split(/[\s,]+/).filter((g) => g !== '');

function Secret({ issued, onDone }: { issued: Issued; onDone: () => void }) {
  const [forCluster, setForCluster] = useState(false);
  const canPush = issued.robot.push.length > 0;
  return (
    <div class="secret" role="region" aria-label="New pull secret">
      <h3>Pull-secret entry for {issued.robot.name}</h3>
      <p>
        <strong>Shown once.</strong> Copy it now; the token cannot be read again (rotate the robot for a new one).
      </p>
      {(issued.hints ?? []).map((h) => (
        <p key={h} class="warning">
          Note: {h}
        </p>
      ))}
      <label>
        <input type="checkbox" checked={forCluster} onChange={(e) => setForCluster((e.target as HTMLInputElement).checked)} /> I will use this as a cluster pull secret
      </label>
      {canPush && (
        <p role="alert" class="warning" data-warning="push-robot">
          Warning: this robot can push ({issued.robot.push.join(', ')}).{forCluster ? ' As a cluster pull secret, every node would get write access to the mirror: create a pull-only robot for the cluster instead.' : ' Do not use it as a cluster pull secret.'}
        </p>
      )}
      <Copy label="pull-secret entry" text={JSON.stringify(issued.pullSecret)} />
      <button type="button" onClick={onDone}>
        I have copied it
      </button>
    </div>
  );
}

export function RobotsView() {
  const list = useLoad(() => api<{ robots: Robot[] }>('GET', '/robots'), 'robots');
  const [name, setName] = useState('');
  const [pull, setPull] = useState('');
  const [push, setPush] = useState('');
  const [issued, setIssued] = useState<Issued | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const act = async (f: () => Promise<Issued | undefined>): Promise<void> => {
    setError(undefined);
    try {
      const r = await f();
      if (r) setIssued(r);
      list.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div>
      <h1>Robots</h1>
      <Problem error={list.error ?? error} />
      {issued && <Secret issued={issued} onDone={() => setIssued(undefined)} />}
      <Section title="New robot">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void act(() => api<Issued>('POST', '/robots', { name: name.trim(), pull: globs(pull), push: globs(push) }));
          }}
        >
          <label for="robot-name">Name</label>
          <input id="robot-name" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
          <label for="robot-pull">Pull globs (space or comma separated, e.g. ocp4/**)</label>
          <input id="robot-pull" value={pull} onInput={(e) => setPull((e.target as HTMLInputElement).value)} />
          <label for="robot-push">Push globs (leave empty for a pull-only robot)</label>
          <input id="robot-push" value={push} onInput={(e) => setPush((e.target as HTMLInputElement).value)} />
          <button type="submit">Create robot</button>
        </form>
      </Section>
      <Section title="Existing robots">
        <div class="table-wrap">
          <table data-table="robots">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Pull</th>
                <th scope="col">Push</th>
                <th scope="col">Changed</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {(list.data?.robots ?? []).map((r) => (
                <tr key={r.name} data-robot={r.name}>
                  <td>{r.name}</td>
                  <td>{r.pull.join(', ')}</td>
                  <td>{r.push.length > 0 ? `${r.push.join(', ')} (can push)` : '(pull only)'}</td>
                  <td>{when(r.updatedAt)}</td>
                  <td>
                    <button type="button" onClick={() => act(() => api<Issued>('POST', `/robots/${encodeURIComponent(r.name)}/rotate`))}>
                      Rotate {r.name}
                    </button>{' '}
                    <button
                      type="button"
                      onClick={() => {
                        if (confirm(`Delete ${r.name}? Its token stops working at once.`)) void act(async () => (await api('DELETE', `/robots/${encodeURIComponent(r.name)}`), undefined));
                      }}
                    >
                      Delete {r.name}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {list.data && list.data.robots.length === 0 && <p>No robots yet.</p>}
      </Section>
    </div>
  );
}
