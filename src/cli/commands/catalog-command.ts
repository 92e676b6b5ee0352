/** `airlock catalog …`: operator catalogs (index images): list, mirror. */
import { Command } from 'commander';
import { catalogListCommand } from './catalog-list.js';
import { catalogMirrorCommand } from './catalog-mirror.js';

export function catalogCommand(): Command {
  return new Command('catalog').description('Inspect and mirror operator catalogs (OLM index images, file-based or SQLite)').addCommand(catalogListCommand()).addCommand(catalogMirrorCommand());
}
