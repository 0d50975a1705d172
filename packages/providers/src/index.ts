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
export type { ProviderErrorCode, ProviderErrorOptions } from './ProviderError.ts';
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
export { createAwsDriver } from './aws/createAwsDriver.ts';
export type { AwsCredentials, AwsDriverOptions } from './aws/createAwsDriver.ts';
export { createAzureDriver } from './azure/createAzureDriver.ts';
export type { AzureCredentials, AzureDriverOptions } from './azure/createAzureDriver.ts';
export { createGcpDriver } from './gcp/createGcpDriver.ts';
export type { GcpCredentials, GcpDriverOptions, GcpServiceAccountKey } from './gcp/createGcpDriver.ts';
export { createCloudDriver, isCloudName, parseCloudCredentials } from './cloud/createCloudDriver.ts';
export type { CloudDriverSettings, CloudName } from './cloud/createCloudDriver.ts';
export { createEmulatedCloudDrivers, emulatedCloudsFromEnvironment } from './cloud/emulatedClouds.ts';
export type { EmulatedClouds } from './cloud/emulatedClouds.ts';
export { managedTags, gcpManagedLabels } from './cloud/managedTags.ts';
export { classifyDrift, isManaged, vmStatusOf } from './reconcile/classifyDrift.ts';
export type { ManagedVm, ManagedVmStatus, ReconcileFinding, VmFacts } from './reconcile/classifyDrift.ts';
export { reconcileProvider } from './reconcile/reconcileProvider.ts';
export type { ReconcileOptions, ReconcileReport } from './reconcile/reconcileProvider.ts';
export { injectDrift } from './simulated/injectDrift.ts';
export type { SimulatedDrift } from './simulated/injectDrift.ts';
export type { MetricKind, MetricSample, MetricsRequest, MetricsSource } from './cloud/metrics.ts';
