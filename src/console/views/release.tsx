/**
 * Release view: a repository that `oc adm release mirror --to` (or `airlock
 * release mirror`) filled holds the payload as `VERSION-ARCH` and each
 * component as `VERSION-ARCH-NAME`. From the tags alone this lists the
 * versions with their component counts and the imageContentSources snippet
 * that mirror prints for install-config.yaml.
 */
import { api, repoPath } from '../api.js';
import { Copy, Section, useLoad } from '../components.js';

const RELEASE_TAG = /^(\d+\.\d+\.\d+(?:-(?:rc|ec|fc)\.\d+)?)-(x86_64|aarch64|ppc64le|s390x|multi)(?:-([a-z0-9][a-z0-9._-]*))?$/;
const PAGE = 1000;
const MAX_PAGES = 50;

interface Release {
  version: string;
  arch: string;
  components: number;
}

export function releasesOf(tags: readonly string[]): Release[] {
  const payloads = new Map<string, Release>();
  const components = new Map<string, number>();
  for (const t of tags) {
    const m = RELEASE_TAG.exec(t);
    if (!m) continue;
    const key = `${m[1]}-${m[2]}`;
    if (m[3] === undefined) payloads.set(key, { version: m[1]!, arch: m[2]!, components: 0 });
    else components.set(key, (components.get(key) ?? 0) + 1);
  }
  return [...payloads.entries()].map(([k, r]) => ({ ...r, components: components.get(k) ?? 0 }));
}

export function imageContentSources(mirror: string): string {
  return ['imageContentSources:', ...['ocp-release', 'ocp-v4.0-art-dev'].flatMap((s) => ['- mirrors:', `  - ${mirror}`, `  source: quay.io/openshift-release-dev/${s}`])].join('\n');
}

async function allTags(name: string): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < MAX_PAGES; i++) {
    const r: { tags: { name: string }[]; next: string | null } = await api('GET', `/repositories/${repoPath(name)}/tags?limit=${PAGE}${cursor ? `&cursor=${cursor}` : ''}`);
    out.push(...r.tags.map((t) => t.name));
    cursor = r.next;
    if (cursor === null) break;
  }
  return out;
}

/** Shown under a repository's tags when they look like a mirrored release; nothing otherwise. */
export function ReleaseSection({ name, firstTags }: { name: string; firstTags: readonly string[] }) {
  const looksLikeRelease = firstTags.some((t) => RELEASE_TAG.test(t));
  const all = useLoad(() => (looksLikeRelease ? allTags(name) : Promise.resolve([])), `${name}:${looksLikeRelease}`);
  const releases = releasesOf(all.data ?? []).filter((r) => r.components > 0);
  if (releases.length === 0) return null;
  return (
    <Section title="OpenShift releases">
      <div class="table-wrap">
        <table data-table="releases">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Architecture</th>
              <th scope="col">Components</th>
            </tr>
          </thead>
          <tbody>
            {releases.map((r) => (
              <tr key={`${r.version}-${r.arch}`}>
                <td>{r.version}</td>
                <td>{r.arch}</td>
                <td>{r.components}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p>For install-config.yaml:</p>
      <Copy label="imageContentSources" text={imageContentSources(`${location.host}/${name}`)} />
    </Section>
  );
}
