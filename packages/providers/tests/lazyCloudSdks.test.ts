import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const index = fileURLToPath(new URL('../src/index.ts', import.meta.url));

/** The Google Cloud SDK modules a fresh process has loaded after `script` (CommonJS: require.cache). */
async function googleModulesAfter(script: string): Promise<{ compute: number; monitoring: number }> {
  const program = `
    import { createRequire } from 'node:module';
    const providers = await import(${JSON.stringify(index)});
    ${script}
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    const count = (name) => loaded.filter((path) => path.includes('/node_modules/@google-cloud/' + name + '/')).length;
    console.log(JSON.stringify({ compute: count('compute'), monitoring: count('monitoring') }));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', program], { cwd: fileURLToPath(new URL('..', import.meta.url)) });
  return JSON.parse(stdout) as { compute: number; monitoring: number };
}

/** A service-account key nobody will check: the call below goes to a closed port. */
function serviceAccount() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { client_email: 'lazy@novacron-test.iam.gserviceaccount.com', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

describe('the Google Cloud SDKs are imported on first use', () => {
  it('importing the package, and building and describing a GCP driver, loads neither SDK (≈ 100 MB of heap)', async () => {
    const loaded = await googleModulesAfter(`
      const driver = providers.createGcpDriver({ credentials: { project: 'novacron-test' } });
      driver.describe(); driver.capabilities();`);
    expect(loaded).toEqual({ compute: 0, monitoring: 0 });
  });

  it('the first cloud call loads the Compute SDK (and still not Monitoring)', async () => {
    const loaded = await googleModulesAfter(`
      const driver = providers.createGcpDriver({
        credentials: { project: 'novacron-test', serviceAccount: ${JSON.stringify(serviceAccount())} },
        endpoint: { host: '127.0.0.1', port: 9, protocol: 'http' },
        retry: { maxRetries: 0 },
      });
      await driver.get('projects/novacron-test/zones/us-central1-a/instances/nothing').catch(() => null);`);
    expect(loaded.compute).toBeGreaterThan(0);
    expect(loaded.monitoring).toBe(0);
  });
});
