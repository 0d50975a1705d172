/**
 * `npm run smoke:clouds`: the whole lifecycle (create, stop, start, reboot, delete) on each real
 * cloud whose credentials are in the environment, with the smallest instance type. It spends real
 * money for a few minutes and is never part of CI. Without any credentials it says so and exits 0.
 *
 *   AWS:   AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), NOVACRON_SMOKE_AWS_REGION (us-east-1)
 *   Azure: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_SUBSCRIPTION_ID,
 *          NOVACRON_SMOKE_AZURE_RESOURCE_GROUP, NOVACRON_SMOKE_AZURE_SUBNET_ID, NOVACRON_SMOKE_AZURE_REGION (eastus)
 *   GCP:   GOOGLE_APPLICATION_CREDENTIALS (a service-account key file), NOVACRON_SMOKE_GCP_PROJECT, NOVACRON_SMOKE_GCP_REGION (us-central1)
 *   --cloud aws|azure|gcp limits the run to one cloud.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createCloudDriver, type CloudName } from '../src/cloud/createCloudDriver.ts';
import { createAwsDriver } from '../src/aws/createAwsDriver.ts';
import type { ProviderDriver, ProviderInstanceState } from '../src/ProviderDriver.ts';

const env = process.env;
const { values } = parseArgs({ options: { cloud: { type: 'string' } } });

interface SmokeTarget {
  cloud: CloudName;
  region: string;
  instanceType: string;
  driver: () => ProviderDriver;
}

function configuredTargets(): SmokeTarget[] {
  const targets: SmokeTarget[] = [];
  if ((env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) || env.AWS_PROFILE) {
    const region = env.NOVACRON_SMOKE_AWS_REGION ?? 'us-east-1';
    targets.push({ cloud: 'aws', region, instanceType: 't3.micro', driver: () => createAwsDriver({ regions: [region] }) });
  }
  if (env.AZURE_TENANT_ID && env.AZURE_CLIENT_ID && env.AZURE_CLIENT_SECRET && env.AZURE_SUBSCRIPTION_ID && env.NOVACRON_SMOKE_AZURE_RESOURCE_GROUP && env.NOVACRON_SMOKE_AZURE_SUBNET_ID) {
    const stored = {
      tenantId: env.AZURE_TENANT_ID,
      clientId: env.AZURE_CLIENT_ID,
      clientSecret: env.AZURE_CLIENT_SECRET,
      subscriptionId: env.AZURE_SUBSCRIPTION_ID,
      resourceGroup: env.NOVACRON_SMOKE_AZURE_RESOURCE_GROUP,
      subnetId: env.NOVACRON_SMOKE_AZURE_SUBNET_ID,
    };
    targets.push({ cloud: 'azure', region: env.NOVACRON_SMOKE_AZURE_REGION ?? 'eastus', instanceType: 'Standard_B2s', driver: () => createCloudDriver('azure', stored) });
  }
  if (env.GOOGLE_APPLICATION_CREDENTIALS && env.NOVACRON_SMOKE_GCP_PROJECT) {
    const stored = { project: env.NOVACRON_SMOKE_GCP_PROJECT, serviceAccountJson: readFileSync(env.GOOGLE_APPLICATION_CREDENTIALS, 'utf8') };
    targets.push({ cloud: 'gcp', region: env.NOVACRON_SMOKE_GCP_REGION ?? 'us-central1', instanceType: 'e2-standard-2', driver: () => createCloudDriver('gcp', stored) });
  }
  return values.cloud ? targets.filter((target) => target.cloud === values.cloud) : targets;
}

async function waitFor(driver: ProviderDriver, providerId: string, states: ProviderInstanceState[], timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const instance = await driver.get(providerId);
    if ((instance === null && states.includes('DELETED')) || (instance && states.includes(instance.state))) return;
    if (Date.now() > deadline) throw new Error(`${providerId} did not reach ${states.join('/')} (last: ${instance?.state ?? 'gone'})`);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
  }
}

async function smoke(target: SmokeTarget): Promise<void> {
  const driver = target.driver();
  const log = (message: string) => process.stdout.write(`[smoke:${target.cloud}] ${message}\n`);
  const clientToken = randomUUID();
  log(`creating ${target.instanceType} in ${target.region} (client token ${clientToken})`);
  const created = await driver.create({ clientToken, name: `novacron-smoke-${clientToken.slice(0, 8)}`, region: target.region, instanceType: target.instanceType, image: 'debian-12', labels: { purpose: 'smoke' } });
  try {
    await waitFor(driver, created.providerId, ['RUNNING']);
    const again = await driver.create({ clientToken, name: created.name, region: target.region, instanceType: target.instanceType, image: 'debian-12', labels: { purpose: 'smoke' } });
    if (again.providerId !== created.providerId) throw new Error(`a repeated create made a second instance ${again.providerId}`);
    log('running; a repeated create returned the same instance');
    await driver.stop(created.providerId);
    await waitFor(driver, created.providerId, ['STOPPED']);
    log('stopped');
    await driver.start(created.providerId);
    await waitFor(driver, created.providerId, ['RUNNING']);
    await driver.reboot(created.providerId);
    await waitFor(driver, created.providerId, ['RUNNING']);
    log('started and rebooted');
  } finally {
    await driver.delete(created.providerId);
    await waitFor(driver, created.providerId, ['DELETED']);
    log(`deleted ${created.providerId}`);
  }
}

const targets = configuredTargets();
if (targets.length === 0) {
  process.stdout.write('smoke:clouds: no cloud credentials in the environment, nothing to do (see the header of packages/providers/scripts/smokeClouds.ts for the variables).\n');
  process.exit(0);
}
let failed = 0;
for (const target of targets) {
  try {
    await smoke(target);
  } catch (error) {
    failed += 1;
    process.stderr.write(`[smoke:${target.cloud}] FAILED: ${error instanceof Error ? error.message : String(error)}\n`);
  }
}
process.exit(failed === 0 ? 0 : 1);
