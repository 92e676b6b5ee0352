/**
 * A d2m run in a child process (so a test can kill -9 it): node d2m-child.js DIR HOST:PORT [PREFIX].
 * Pushes the archive set through the copy engine (pushArchiveSet) and prints
 * one JSON line: the blob actions counted and the errors.
 */
import { createCopyContext } from '../../../src/copy/copy-context.js';
import { pushArchiveSet } from '../../../src/copy/archive-push.js';
import { ArchiveSet } from '../../../src/transports/archive/archive-reader.js';
import { RegistryHub } from '../../../src/transports/registry/registry-hub.js';

const [dir, registry, prefix] = process.argv.slice(2);
const actions: Record<string, number> = { uploaded: 0, mounted: 0, exists: 0, deduped: 0 };
const hub = new RegistryHub({ insecure: () => true });
const set = await ArchiveSet.open(dir!);
const copy = createCopyContext({ emit: (e) => (e.type === 'blob' ? (actions[e.action] = (actions[e.action] ?? 0) + 1) : undefined) });
const r = await pushArchiveSet(set, { registry: registry!, prefix: prefix ?? '' }, { copy, registries: hub });
await hub.close();
process.stdout.write(`${JSON.stringify({ actions, errors: r.errors, images: r.images.length })}\n`);
process.exitCode = r.errors.length > 0 ? 1 : 0;
