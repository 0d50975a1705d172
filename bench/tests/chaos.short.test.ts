import { describe, expect, it } from 'vitest';
import { run as duplicateKeys } from '../src/chaos/duplicateKeys.ts';
import { run as workerKills } from '../src/chaos/workerKills.ts';

// Short variants of chaos R1 and R4 for CI; `npm run chaos` runs them at full size.
const quiet = () => {};

describe('chaos, short variant', () => {
  it('R1: every operation ends, each created VM has exactly one instance and none is orphaned while workers are SIGKILLed', async () => {
    // Transitions of 0.4-0.8 s make each VM's five operations outlast the five kills (a worker is
    // killable 0.3-0.6 s after it starts), however fast or loaded the machine is.
    const result = await workerKills({
      operations: 50,
      kills: 5,
      workerProcesses: 2,
      workerConcurrency: 20,
      simLatencyMs: '400-800',
      minWorkerLifetimeMs: 300,
      meanKillIntervalMs: 300,
      timeoutMs: 300_000,
      log: quiet,
    });
    expect(result.figures).toMatchObject({ kills: 5, nonTerminal: 0, failed: 0, createdVms: 10, vmsWithExactlyOneInstance: 10, vmsWithExactlyOneInstanceByName: 10, orphanInstances: 0, untrackedInstances: 0 });
    expect(result.passed).toBe(true);
  });

  it('R4: five concurrent createVM per idempotency key make exactly one VM per key', async () => {
    const result = await duplicateKeys({ keys: 40, duplicates: 5, concurrentKeys: 10, log: quiet });
    expect(result.figures).toMatchObject({ keysAnsweredWithOneOperation: 40, vms: 40, operations: 40, distinctNames: 40, drained: 'yes', vmsWithExactlyOneInstance: 40 });
    expect(result.passed).toBe(true);
  });
});
