import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const index = fileURLToPath(new URL('../src/index.ts', import.meta.url));

/** The cloud SDK packages, each of which must be imported only when a driver first calls its cloud. */
const sdks = [
  '@aws-sdk/client-ec2',
  '@aws-sdk/client-cloudwatch',
  '@aws-sdk/credential-providers',
  '@azure/arm-compute',
  '@azure/arm-network',
  '@azure/arm-monitor',
  '@azure/identity',
  '@google-cloud/compute',
  '@google-cloud/monitoring',
  'google-gax',
  'google-auth-library',
] as const;
type Sdk = (typeof sdks)[number];

/**
 * Which cloud SDKs a fresh process has loaded after importing the package and running `script`
 * (`providers` in scope). Every module resolution, ESM and CommonJS alike, is recorded by a
 * `module.registerHooks` resolve hook installed before the package is imported.
 */
async function sdksLoadedAfter(script: string): Promise<Set<Sdk>> {
  const program = `
    import { registerHooks } from 'node:module';
    const resolved = new Set();
    registerHooks({ resolve(specifier, context, next) { const result = next(specifier, context); resolved.add(result.url); return result; } });
    const providers = await import(${JSON.stringify(index)});
    ${script}
    const names = ${JSON.stringify(sdks)};
    console.log(JSON.stringify(names.filter((name) => [...resolved].some((url) => url.includes('/node_modules/' + name + '/')))));
    process.exit(0);`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', program], { cwd: fileURLToPath(new URL('..', import.meta.url)) });
  return new Set(JSON.parse(stdout.trim().split('\n').pop()!) as Sdk[]);
}

/** A service-account key nobody will check: the call below goes to a closed port. */
function serviceAccount() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { client_email: 'lazy@novacron-test.iam.gserviceaccount.com', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

// Port 9 (discard) is closed here: every cloud call below fails at once with ECONNREFUSED.
const closed = '127.0.0.1:9';
const subscription = '00000000-0000-0000-0000-000000000000';

const awsDriver = `providers.createAwsDriver({ credentials: { accessKeyId: 'AKIDLAZY', secretAccessKey: 'lazy' }, endpoint: 'http://${closed}', maxAttempts: 1 })`;
const azureDriver = `providers.createAzureDriver({
  credentials: { subscriptionId: '${subscription}', resourceGroup: 'lazy', subnetId: 'lazy', tenantId: 'lazy', clientId: 'lazy', clientSecret: 'lazy' },
  endpoint: 'https://${closed}', authorityHost: 'https://${closed}', maxRetries: 0 })`;

describe('the cloud SDKs are imported on first use', () => {
  it('importing the package, and building and describing a driver of each cloud, loads none of them (≈ 40 MB of heap, 0.7 s of start-up)', async () => {
    const loaded = await sdksLoadedAfter(`
      for (const driver of [${awsDriver}, ${azureDriver}, providers.createGcpDriver({ credentials: { project: 'novacron-test', serviceAccount: ${JSON.stringify(serviceAccount())} } })]) {
        driver.describe(); driver.capabilities();
        driver.validate({ region: driver.describe().regions[0].name, instanceType: 'nothing', image: 'nothing', name: 'lazy' });
      }`);
    expect([...loaded]).toEqual([]);
  });

  it("an AWS driver's first call loads the EC2 SDK, and not CloudWatch's nor another cloud's", async () => {
    const loaded = await sdksLoadedAfter(`
      const error = await ${awsDriver}.get('arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0').then(() => null, (error) => error);
      if (error?.name !== 'ProviderError') throw new Error('expected a ProviderError, got ' + error);`);
    expect(loaded.has('@aws-sdk/client-ec2')).toBe(true);
    expect([...loaded].filter((name) => name !== '@aws-sdk/client-ec2')).toEqual([]);
  });

  it("an Azure driver's first call loads the compute and identity SDKs, and not Monitor's nor another cloud's", async () => {
    const loaded = await sdksLoadedAfter(`
      const error = await ${azureDriver}.get('/subscriptions/${subscription}/resourceGroups/lazy/providers/Microsoft.Compute/virtualMachines/lazy').then(() => null, (error) => error);
      if (error?.name !== 'ProviderError') throw new Error('expected a ProviderError, got ' + error);`);
    expect(loaded.has('@azure/arm-compute')).toBe(true);
    expect(loaded.has('@azure/identity')).toBe(true);
    expect([...loaded].filter((name) => !name.startsWith('@azure/')).concat(loaded.has('@azure/arm-monitor') ? ['@azure/arm-monitor'] : [])).toEqual([]);
  });

  it("a GCP driver's first call loads the Compute SDK (and still not Monitoring, nor another cloud's)", async () => {
    const loaded = await sdksLoadedAfter(`
      const driver = providers.createGcpDriver({
        credentials: { project: 'novacron-test', serviceAccount: ${JSON.stringify(serviceAccount())} },
        endpoint: { host: '127.0.0.1', port: 9, protocol: 'http' },
        retry: { maxRetries: 0 },
      });
      await driver.get('projects/novacron-test/zones/us-central1-a/instances/nothing').catch(() => null);`);
    expect(loaded.has('@google-cloud/compute')).toBe(true);
    expect(loaded.has('@google-cloud/monitoring')).toBe(false);
    expect([...loaded].filter((name) => name.startsWith('@aws-sdk/') || name.startsWith('@azure/'))).toEqual([]);
  });
});
