/** `airlock image …`: commands that work on images (mirror; info and extract later). */
import { Command } from 'commander';
import { imageMirrorCommand } from './image-mirror.js';

export function imageCommand(): Command {
  return new Command('image').description('Copy and inspect container images').addCommand(imageMirrorCommand());
}
