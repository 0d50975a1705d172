import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createCatalog, type Catalog } from './createCatalog.ts';
import { parseCatalogCsv } from './parseCatalogCsv.ts';

const catalogFile = new URL('../data/instance-prices.csv', import.meta.url);

let cached: Catalog | undefined;

/**
 * The price catalog shipped in `data/instance-prices.csv`, parsed on first use and cached for the
 * life of the process. Synchronous so drivers can describe and validate without awaiting. Throws
 * when the file is malformed.
 */
export function loadCatalog(): Catalog {
  cached ??= createCatalog(parseCatalogCsv(readFileSync(catalogFile, 'utf8'), fileURLToPath(catalogFile)));
  return cached;
}
