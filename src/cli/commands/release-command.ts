/** `airlock release …`: OpenShift release payloads (info, new; mirror and extract). */
import { Command } from 'commander';
import { releaseExtractCommand } from './release-extract.js';
import { releaseInfoCommand } from './release-info.js';
import { releaseMirrorCommand } from './release-mirror.js';
import { releaseNewCommand } from './release-new.js';

export function releaseCommand(): Command {
  return new Command('release')
    .description('Inspect, build, mirror and extract OpenShift release images')
    .addCommand(releaseInfoCommand())
    .addCommand(releaseNewCommand())
    .addCommand(releaseMirrorCommand())
    .addCommand(releaseExtractCommand());
}
