import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzureEmulator, startEc2Emulator, startGceEmulator, type AzureEmulator, type Ec2Emulator, type GceEmulator } from '../src/index.ts';

let ec2: Ec2Emulator;
let gce: GceEmulator;
let azure: AzureEmulator;

beforeAll(async () => {
  [ec2, gce, azure] = await Promise.all([
    startEc2Emulator({ credentials: { AKIAEXAMPLE: 'secret' } }),
    startGceEmulator({ serviceAccounts: {} }),
    startAzureEmulator({ servicePrincipals: { app: { tenantId: 'tenant', secret: 'right' } } }),
  ]);
});
afterAll(async () => {
  await Promise.all([ec2?.close(), gce?.close(), azure?.close()]);
});

/** An https request trusting only the emulator's generated certificate. */
function azureCall(path: string, options: { method?: string; body?: string; token?: string } = {}): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(`${azure.url}${path}`, {
      method: options.method ?? 'GET',
      ca: azure.certificate,
      headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...(options.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, json: chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : null }));
    });
    request.on('error', reject);
    request.end(options.body);
  });
}

describe('cloud emulators on the wire', () => {
  it('EC2 refuses an unsigned Query API call with an EC2 XML error', async () => {
    const response = await fetch(ec2.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=DescribeInstances&Version=2016-11-15' });
    expect(response.status).toBe(401);
    const text = await response.text();
    expect(text).toContain('<Code>MissingAuthenticationToken</Code>');
    expect(text).toMatch(/<Response><Errors><Error>/);
  });

  it('EC2 refuses a forged SigV4 signature', async () => {
    const response = await fetch(ec2.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-amz-date': '20250101T000000Z',
        authorization: `AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20250101/us-east-1/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
      },
      body: 'Action=DescribeInstances&Version=2016-11-15',
    });
    expect(await response.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('Compute Engine refuses a call without a bearer token with Google error JSON', async () => {
    const response = await fetch(`${gce.url}/compute/v1/projects/p/zones/us-central1-a/instances`);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: unknown }).error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED' });
  });

  it('Azure serves OpenID configuration and tokens over TLS, and ARM accepts only the tokens it issued', async () => {
    const configuration = await azureCall('/tenant/v2.0/.well-known/openid-configuration');
    expect(configuration.json.token_endpoint).toBe(`${azure.url}/tenant/oauth2/v2.0/token`);
    const refused = await azureCall('/tenant/oauth2/v2.0/token', { method: 'POST', body: 'grant_type=client_credentials&client_id=app&client_secret=wrong&scope=x' });
    expect(refused).toMatchObject({ status: 401, json: { error: 'invalid_client' } });
    const issued = await azureCall('/tenant/oauth2/v2.0/token', { method: 'POST', body: 'grant_type=client_credentials&client_id=app&client_secret=right&scope=x' });
    expect(issued.json.token_type).toBe('Bearer');
    const vmPath = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/nope?api-version=2024-07-01';
    expect((await azureCall(vmPath, { token: 'forged' })).json.error.code).toBe('InvalidAuthenticationToken');
    expect(await azureCall(vmPath, { token: issued.json.access_token })).toMatchObject({ status: 404, json: { error: { code: 'ResourceNotFound' } } });
  });
});
