import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilesystemDriver } from '../../src/storage/fs-driver.js';
import { driverConformance } from './driver-conformance.js';

const roots = new Map<unknown, string>();
driverConformance('filesystem', {
  redirects: false,
  async make() {
    const root = await mkdtemp(join(tmpdir(), 'airlock-fsdriver-'));
    const d = new FilesystemDriver(root);
    roots.set(d, root);
    return d;
  },
  async fresh(d) {
    return new FilesystemDriver(roots.get(d)!);
  },
  async cleanup(d) {
    await rm(roots.get(d)!, { recursive: true, force: true });
  },
});
