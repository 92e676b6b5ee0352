/**
 * oc-mirror v2's three command shapes (reference §5.6) and their invalid
 * combinations, decided from the positional destination, `--from` and
 * `--workspace`:
 * - m2d: `file://DIR` destination;
 * - d2m: `--from file://DIR docker://REG[/prefix]`;
 * - m2m: `--workspace file://DIR docker://REG[/prefix]`.
 */
export class WorkflowError extends Error {
  readonly code = 'ERR_MIRROR_WORKFLOW';
}

export type Workflow =
  | { readonly kind: 'm2d'; readonly dir: string }
  | { readonly kind: 'd2m'; readonly from: string; readonly dest: string }
  | { readonly kind: 'm2m'; readonly workspace: string; readonly dest: string };

const USAGE = 'use file://DIR (mirror to disk), --from file://DIR docker://REG (disk to mirror) or --workspace file://DIR docker://REG (mirror to mirror)';

function fileDir(flag: string, text: string): string {
  if (!text.startsWith('file://')) throw new WorkflowError(`${flag} ${text}: must be file://DIR`);
  const dir = text.slice('file://'.length);
  if (dir === '') throw new WorkflowError(`${flag} ${text}: names no directory`);
  return dir;
}

export function decideWorkflow(destination: string | undefined, from: string | undefined, workspace: string | undefined): Workflow {
  if (destination === undefined) throw new WorkflowError(`a destination is required: ${USAGE}`);
  if (from !== undefined && workspace !== undefined) throw new WorkflowError(`--from and --workspace cannot be used together: --from reads an archive directory (disk to mirror), --workspace is the working directory of mirror to mirror; ${USAGE}`);
  if (destination.startsWith('file://')) {
    if (from !== undefined) throw new WorkflowError(`--from cannot be used with a file:// destination: disk to mirror pushes to docker://REG; ${USAGE}`);
    if (workspace !== undefined) throw new WorkflowError(`--workspace cannot be used with a file:// destination: mirror to disk keeps its working directory in the destination; ${USAGE}`);
    return { kind: 'm2d', dir: fileDir('destination', destination) };
  }
  if (!destination.startsWith('docker://')) throw new WorkflowError(`destination ${destination}: must start with docker:// or file://; ${USAGE}`);
  if (from !== undefined) return { kind: 'd2m', from: fileDir('--from', from), dest: destination };
  if (workspace === undefined) throw new WorkflowError(`mirror to mirror needs --workspace file://DIR (its working directory); ${USAGE}`);
  return { kind: 'm2m', workspace: fileDir('--workspace', workspace), dest: destination };
}

/** The flags a workflow takes that others do not. */
export interface WorkflowFlags {
  readonly since?: string;
  readonly sinceInventory?: string;
  readonly strictArchive?: boolean;
  readonly archiveSizeBytes?: number;
  readonly cacheDir?: string;
}

/** Refuses flags that the chosen workflow does not take, in one line naming flag and workflow. */
export function checkWorkflowFlags(wf: Workflow, f: WorkflowFlags): void {
  const name = wf.kind === 'd2m' ? 'disk to mirror (--from)' : 'mirror to mirror (--workspace)';
  if (wf.kind !== 'm2d') {
    for (const [flag, set] of [['--since', f.since], ['--since-inventory', f.sinceInventory], ['--strict-archive', f.strictArchive], ['--archive-size-bytes', f.archiveSizeBytes]] as const) {
      if (set !== undefined && set !== false) throw new WorkflowError(`${flag} applies to mirror to disk (a file:// destination) only, not to ${name}: it chooses what goes into the archive`);
    }
  }
  if (f.since !== undefined && f.sinceInventory !== undefined) throw new WorkflowError('--since and --since-inventory cannot be used together: --since picks a point of the blob history, --since-inventory packs against what the far registry holds');
  if (wf.kind === 'd2m' && f.cacheDir !== undefined) throw new WorkflowError('--cache-dir applies to mirror to disk and mirror to mirror (where catalogs are rebuilt), not to disk to mirror (--from), which streams from the archive');
}
