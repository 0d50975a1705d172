import type { CatalogEntry } from './CatalogEntry.ts';

/** The exact header line the catalog CSV must start with. */
export const catalogCsvHeader = 'provider,region,instance_type,vcpus,memory_gib,arch,gpu_name,gpu_count,price_hour_usd,spot_price_hour_usd';

const decimal = /^\d+(?:\.\d+)?$/;
const integer = /^\d+$/;
const architectures = new Set(['x86_64', 'arm64']);

/**
 * Parses the price catalog CSV into entries. The file is ours and simple (no quoting), so any
 * surprise — a wrong header, a missing column, a non-numeric price, a duplicate row — throws with
 * the line number instead of producing a half-right catalog.
 */
export function parseCatalogCsv(text: string, source = 'instance-prices.csv'): CatalogEntry[] {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  if (lines[0] !== catalogCsvHeader) {
    throw new Error(`${source}: expected header "${catalogCsvHeader}", found "${lines[0] ?? ''}"`);
  }
  const entries: CatalogEntry[] = [];
  const seen = new Set<string>();
  for (let index = 1; index < lines.length; index++) {
    const entry = parseRow(lines[index] ?? '', `${source}:${index + 1}`);
    const key = `${entry.provider}/${entry.region}/${entry.instanceType}`;
    if (seen.has(key)) throw new Error(`${source}:${index + 1}: duplicate row for ${key}`);
    seen.add(key);
    entries.push(entry);
  }
  return entries;
}

function parseRow(line: string, where: string): CatalogEntry {
  const fail = (problem: string): never => {
    throw new Error(`${where}: ${problem} in row "${line}"`);
  };
  const cells = line.split(',');
  if (cells.length !== 10) fail(`expected 10 columns, found ${cells.length}`);
  const [provider, region, instanceType, vcpus, memoryGib, arch, gpuName, gpuCount, price, spotPrice] = cells as [
    string, string, string, string, string, string, string, string, string, string,
  ];
  const required = (name: string, value: string): string => (value === '' ? fail(`empty ${name}`) : value);
  const number = (name: string, value: string): number => (decimal.test(value) ? Number(value) : fail(`${name} "${value}" is not a number`));
  required('provider', provider);
  required('region', region);
  required('instance_type', instanceType);
  if (!architectures.has(arch)) fail(`unknown arch "${arch}"`);
  if (!integer.test(gpuCount)) fail(`gpu_count "${gpuCount}" is not an integer`);
  const gpus = Number(gpuCount);
  if ((gpus > 0) !== (gpuName !== '')) fail('gpu_name and gpu_count disagree');
  const entry: CatalogEntry = {
    provider,
    region,
    instanceType,
    vcpus: number('vcpus', vcpus),
    memoryGib: number('memory_gib', memoryGib),
    arch,
    gpuName: gpuName === '' ? null : gpuName,
    gpuCount: gpus,
    priceHourUsd: number('price_hour_usd', price),
    spotPriceHourUsd: spotPrice === '' ? null : number('spot_price_hour_usd', spotPrice),
  };
  if (entry.vcpus <= 0) fail('vcpus must be positive');
  if (entry.memoryGib <= 0) fail('memory_gib must be positive');
  if (entry.priceHourUsd <= 0) fail('price_hour_usd must be positive');
  return Object.freeze(entry);
}
