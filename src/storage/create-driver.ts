import type { StorageDriver } from './driver.js';
import { FilesystemDriver } from './fs-driver.js';
import { describeS3Location, parseS3Location } from './s3/s3-location.js';

/**
 * The driver for a `storage` setting: the filesystem at `fsRoot` when unset,
 * S3 for an s3:// URL. `where` describes it for logs and startup notes
 * (never with credentials: the URL cannot hold any). The AWS SDK is loaded
 * only when S3 is used, so other commands do not pay for it.
 */
export async function createStorageDriver(storage: string | undefined, fsRoot: string): Promise<{ driver: StorageDriver; where: string }> {
  if (storage === undefined) return { driver: new FilesystemDriver(fsRoot), where: fsRoot };
  const loc = parseS3Location(storage);
  const { S3Driver } = await import('./s3/s3-driver.js');
  return { driver: new S3Driver(loc), where: describeS3Location(loc) };
}
