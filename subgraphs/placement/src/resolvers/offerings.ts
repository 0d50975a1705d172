import type { InstanceTypeOfferingResolvers, PlacementCandidateResolvers, PlacementRequirementsRecordResolvers } from '../__generated__/resolvers-types.ts';
import { instanceFamily } from '../domain/instanceFamily.ts';
import { monthlyPriceOf } from '../domain/prices.ts';

const gpuOf = (offering: { gpuName: string | null; gpuCount: number }) => (offering.gpuName && offering.gpuCount > 0 ? { name: offering.gpuName, count: offering.gpuCount } : null);

export const PlacementCandidate: PlacementCandidateResolvers = {
  gpu: gpuOf,
};

export const InstanceTypeOffering: InstanceTypeOfferingResolvers = {
  family: (entry) => instanceFamily(entry.provider, entry.instanceType),
  gpu: gpuOf,
  hourlyPrice: (entry) => entry.priceHourUsd,
  monthlyPrice: (entry) => monthlyPriceOf(entry.priceHourUsd),
  spotHourlyPrice: (entry) => entry.spotPriceHourUsd,
};

export const PlacementRequirementsRecord: PlacementRequirementsRecordResolvers = {
  providers: (requirements) => (requirements.providers ? [...requirements.providers] : null),
  regions: (requirements) => (requirements.regions ? [...requirements.regions] : null),
  preferRegions: (requirements) => [...requirements.preferRegions],
};
