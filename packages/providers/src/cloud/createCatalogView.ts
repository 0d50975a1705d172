import type { Catalog } from '@novacron/catalog';
import type { RegionInfo, ValidationProblem } from '../ProviderDriver.ts';

/** Regions, instance types and validation for one provider, from the price catalog. */
export interface CatalogView {
  regions: RegionInfo[];
  regionNames: string[];
  validate(spec: { region: string; instanceType: string; image?: string; name?: string }): ValidationProblem[];
}

/** Builds a provider's view of the catalog; `images` are the image names its driver can resolve. */
export function createCatalogView(provider: string, catalog: Catalog, images: readonly string[]): CatalogView {
  const regionNames = catalog.regionsOf(provider);
  const regionSet = new Set(regionNames);
  const typeNames = new Set(catalog.entries.filter((entry) => entry.provider === provider).map((entry) => entry.instanceType));
  const regions: RegionInfo[] = regionNames.map((region) => ({
    name: region,
    instanceTypes: catalog.instanceTypesIn(provider, region).map((entry) => ({
      name: entry.instanceType,
      vcpus: entry.vcpus,
      memoryGib: entry.memoryGib,
      arch: entry.arch,
      gpuName: entry.gpuName,
      gpuCount: entry.gpuCount,
    })),
  }));
  function validate(spec: { region: string; instanceType: string; image?: string; name?: string }): ValidationProblem[] {
    const problems: ValidationProblem[] = [];
    if (!regionSet.has(spec.region)) problems.push({ field: 'region', message: `${provider} has no region "${spec.region}"` });
    if (!typeNames.has(spec.instanceType)) {
      problems.push({ field: 'instanceType', message: `${provider} has no instance type "${spec.instanceType}"` });
    } else if (regionSet.has(spec.region) && !catalog.find(provider, spec.region, spec.instanceType)) {
      problems.push({ field: 'instanceType', message: `${provider} does not offer "${spec.instanceType}" in ${spec.region}` });
    }
    if (spec.image !== undefined && !images.includes(spec.image)) {
      problems.push({ field: 'image', message: `${provider} has no image "${spec.image}"; choose one of ${images.join(', ')}` });
    }
    if (spec.name !== undefined && spec.name.trim() === '') problems.push({ field: 'name', message: 'name must not be empty' });
    return problems;
  }
  return { regions, regionNames, validate };
}
