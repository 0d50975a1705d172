export { loadCatalog } from './loadCatalog.ts';
export { createCatalog } from './createCatalog.ts';
export type { Catalog } from './createCatalog.ts';
export { parseCatalogCsv, catalogCsvHeader } from './parseCatalogCsv.ts';
export type { CatalogEntry } from './CatalogEntry.ts';
