export type {
  CreateInstanceRequest,
  InstanceTypeInfo,
  MetricKindName,
  MetricsInstance,
  ProviderMetricSample,
  ProviderCapabilities,
  ProviderDescription,
  ProviderDriver,
  ProviderInstance,
  ProviderInstanceState,
  RegionInfo,
  ValidationProblem,
} from './ProviderDriver.ts';
export { ProviderError, isTransientProviderError } from './ProviderError.ts';
export { createProviderRegistry } from './createProviderRegistry.ts';
export type { ProviderRegistry, ProviderRegistryOptions } from './createProviderRegistry.ts';
export { createSimulatedDriver } from './simulated/createSimulatedDriver.ts';
export type { SimulatedDriverOptions } from './simulated/createSimulatedDriver.ts';
export { migrateSimulatedCloud } from './simulated/migrateSimulatedCloud.ts';
export { injectFault } from './simulated/injectFault.ts';
export { clearFaults } from './simulated/clearFaults.ts';
export type { SimulatedFault, SimulatedFaultAction, SimulatedFaultKind } from './simulated/SimulatedFault.ts';
export { simulatedFlavours, simulatedImages } from './simulated/simulatedFlavours.ts';
export type { SimulatedErrorCodes, SimulatedFlavour, SimulatedProviderName } from './simulated/simulatedFlavours.ts';
export { generateSimulatedSamples, simulatedMetricsIntervalMs, simulatedWorkloads, readSimulatedMetrics } from './simulated/simulatedMetrics.ts';
export type { SimulatedWorkload } from './simulated/simulatedMetrics.ts';
