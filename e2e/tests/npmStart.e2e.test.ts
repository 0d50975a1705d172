import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNovaCronClient, ProvidersDocument } from '@novacron/sdk';
import { createTestDatabase, freePort, type TestDatabase } from '@novacron/testing';

const startScript = fileURLToPath(new URL('../../scripts/start.ts', import.meta.url));
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

describe('npm start', () => {
  it('starts subgraph, worker and gateway, prints the endpoint, and stops them all on Ctrl-C', async () => {
    const [gatewayPort, vmsPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, [startScript], {
      env: { ...process.env, DATABASE_URL: database.url, GATEWAY_PORT: String(gatewayPort), VMS_PORT: String(vmsPort), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes('ready: GraphQL endpoint')) resolve();
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      void exited.then((code) => reject(new Error(`npm start exited early (${code}):\n${output}`)));
    });
    expect(output).toContain(`http://localhost:${gatewayPort}/graphql`);

    const client = createNovaCronClient({ url: `http://127.0.0.1:${gatewayPort}/graphql` });
    const { providers } = await client.request(ProvidersDocument);
    expect(providers.length).toBe(3);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    for (const name of ['gateway stopped', 'worker-1 stopped', 'vms stopped']) expect(output).toContain(name);
    await expect(fetch(`http://127.0.0.1:${gatewayPort}/health`)).rejects.toThrow();
    await expect(fetch(`http://127.0.0.1:${vmsPort}/health`)).rejects.toThrow();
  });
});
