/** `airlock catalog …`: operator catalogs (index images): list; mirror comes with src/mirror/. */
import { Command } from 'commander';
import { catalogListCommand } from './catalog-list.js';

export function catalogCommand(): Command {
  return new Command('catalog').description('Inspect operator catalogs (OLM index images, file-based or SQLite)').addCommand(catalogListCommand());
}
