/** `airlock image …`: commands that work on images (mirror, info, extract). */
import { Command } from 'commander';
import { imageExtractCommand } from './image-extract.js';
import { imageInfoCommand } from './image-info.js';
import { imageMirrorCommand } from './image-mirror.js';

export function imageCommand(): Command {
  return new Command('image').description('Copy and inspect container images').addCommand(imageMirrorCommand()).addCommand(imageInfoCommand()).addCommand(imageExtractCommand());
}
