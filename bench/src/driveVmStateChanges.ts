/**
 * The event source of the fan-out benchmark: real lifecycle mutations through the gateway, executed
 * by the platform's worker, so every VM event is committed the way production commits it. A pool of
 * VMs is created first; the driver then alternates stopVM / startVM on VMs that have no unfinished
 * operation (only one is allowed per VM), paced to a number of operations per second.
 */
import { performance } from 'node:perf_hooks';
import type { Sql } from '@novacron/db';

const createVmMutation = 'mutation CreateVM($input: CreateVMInput!) { createVM(input: $input) { id status vm { id } } }';
const stopVmMutation = 'mutation StopVM($id: ID!) { stopVM(id: $id) { id } }';
const startVmMutation = 'mutation StartVM($id: ID!) { startVM(id: $id) { id } }';
const terminalStatuses = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

interface GraphQLAnswer<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** The gateway's GraphQL endpoint, and the `authorization` header to send, if any. */
export interface GatewayEndpoint {
  url: string;
  authorization?: string | undefined;
}

async function postGraphQL<T>(endpoint: GatewayEndpoint, query: string, variables: Record<string, unknown>): Promise<T> {
  const response = await fetch(endpoint.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(endpoint.authorization ? { authorization: endpoint.authorization } : {}) },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(30_000),
  });
  const answer = (await response.json()) as GraphQLAnswer<T>;
  const [error] = answer.errors ?? [];
  if (error) throw Object.assign(new Error(`${error.extensions?.code ?? 'ERROR'}: ${error.message}`), { code: error.extensions?.code });
  if (!answer.data) throw new Error(`HTTP ${response.status} without data`);
  return answer.data;
}

/** Polls `vms.operations` until every one of `operationIds` is terminal; returns their statuses. */
export async function waitForOperations(sql: Sql, operationIds: readonly string[], timeoutMs: number): Promise<Map<string, string>> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const rows = operationIds.length === 0 ? [] : await sql<{ id: string; status: string }[]>`select id, status from vms.operations where id in ${sql(operationIds)}`;
    const statuses = new Map(rows.map((row) => [row.id, row.status]));
    if ([...statuses.values()].every((status) => terminalStatuses.includes(status)) && statuses.size === operationIds.length) return statuses;
    if (performance.now() > deadline) throw new Error(`operations still unfinished after ${timeoutMs / 1000} s`);
    await new Promise((done) => setTimeout(done, 250));
  }
}

/** Creates `count` VMs through the gateway (`concurrency` at a time) and waits until every one is RUNNING; returns their ids. */
export async function createVmPool(options: { gateway: GatewayEndpoint; sql: Sql; count: number; namePrefix: string; concurrency?: number }): Promise<string[]> {
  const vmIds: string[] = [];
  const operationIds: string[] = [];
  let next = 0;
  const client = async () => {
    while (next < options.count) {
      const index = next;
      next += 1;
      const { createVM } = await postGraphQL<{ createVM: { id: string; vm: { id: string } } }>(options.gateway, createVmMutation, {
        input: { name: `${options.namePrefix}-${index}`, provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', image: 'ubuntu-24.04' },
      });
      vmIds[index] = createVM.vm.id;
      operationIds[index] = createVM.id;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 20 }, client));
  const statuses = await waitForOperations(options.sql, operationIds, 300_000);
  const failed = [...statuses.values()].filter((status) => status !== 'SUCCEEDED').length;
  if (failed > 0) throw new Error(`${failed} of ${options.count} createVM operations did not succeed`);
  return vmIds;
}

/** What a driver did. */
export interface DriverStats {
  /** Mutations sent, and answered with an operation. */
  sent: number;
  accepted: number;
  /** Operations that ended SUCCEEDED, or otherwise (FAILED, CANCELLED). */
  succeeded: number;
  unsuccessful: number;
  /** Mutations answered with an error (e.g. CONFLICT), with a few messages. */
  mutationErrors: number;
  errorSamples: string[];
  /** Ticks at which an operation was due but every VM still had one unfinished (the pool is too small for the rate). */
  starved: number;
}

/** A running driver. */
export interface StateChangeDriver {
  stats(): DriverStats;
  /** Stops sending and waits until every operation it started is terminal. */
  stop(): Promise<DriverStats>;
  /** Stops sending and following at once (the run failed). */
  abort(): void;
}

/**
 * Sends `operationsPerSecond` stopVM/startVM mutations (open loop, each to a VM without an
 * unfinished operation, picked at random), and follows their operations in `vms.operations`
 * directly, so following them costs the gateway nothing. The pool's VMs must have no unfinished
 * operation when it starts; those neither RUNNING nor STOPPED are left out.
 */
export async function startStateChangeDriver(options: { gateway: GatewayEndpoint; sql: Sql; vmIds: readonly string[]; operationsPerSecond: number }): Promise<StateChangeDriver> {
  const rows = await options.sql<{ id: string; status: string }[]>`select id, status from vms.vms where id in ${options.sql(options.vmIds)}`;
  const idle = rows.filter((row) => row.status === 'RUNNING' || row.status === 'STOPPED').map((row) => row.id);
  const running = new Set(rows.filter((row) => row.status === 'RUNNING').map((row) => row.id));
  const inFlight = new Map<string, { vmId: string; stopping: boolean }>();
  const stats: DriverStats = { sent: 0, accepted: 0, succeeded: 0, unsuccessful: 0, mutationErrors: 0, errorSamples: [], starved: 0 };
  const pending = new Set<Promise<void>>();
  const started = performance.now();
  let stopped = false;

  const send = (vmId: string) => {
    const stopping = running.has(vmId);
    stats.sent += 1;
    const request = postGraphQL<{ stopVM?: { id: string }; startVM?: { id: string } }>(options.gateway, stopping ? stopVmMutation : startVmMutation, { id: vmId }).then(
      (data) => {
        const operationId = (data.stopVM ?? data.startVM)!.id;
        stats.accepted += 1;
        inFlight.set(operationId, { vmId, stopping });
      },
      (error: unknown) => {
        stats.mutationErrors += 1;
        if (stats.errorSamples.length < 5) stats.errorSamples.push(String(error instanceof Error ? error.message : error));
        idle.push(vmId);
      },
    );
    pending.add(request);
    void request.finally(() => pending.delete(request));
  };

  const pacer = setInterval(() => {
    if (stopped) return;
    const due = Math.floor(((performance.now() - started) / 1000) * options.operationsPerSecond);
    while (stats.sent < due) {
      if (idle.length === 0) {
        stats.starved += 1;
        break;
      }
      const pick = Math.floor(Math.random() * idle.length);
      const vmId = idle[pick]!;
      idle[pick] = idle[idle.length - 1]!;
      idle.pop();
      send(vmId);
    }
  }, 5);

  let polling: Promise<void> = Promise.resolve();
  const poll = async () => {
    const ids = [...inFlight.keys()];
    if (ids.length === 0) return;
    const rows = await options.sql<{ id: string; status: string }[]>`
      select id, status from vms.operations where id in ${options.sql(ids)} and status in ${options.sql(terminalStatuses)}`;
    for (const row of rows) {
      const operation = inFlight.get(row.id);
      if (!operation) continue;
      inFlight.delete(row.id);
      if (row.status === 'SUCCEEDED') {
        stats.succeeded += 1;
        if (operation.stopping) running.delete(operation.vmId);
        else running.add(operation.vmId);
        idle.push(operation.vmId);
      } else {
        // The VM's state is unknown now; leave it out of the rotation.
        stats.unsuccessful += 1;
      }
    }
  };
  const poller = setInterval(() => {
    polling = polling.then(poll).catch(() => {});
  }, 50);

  return {
    stats: () => ({ ...stats, errorSamples: [...stats.errorSamples] }),
    abort() {
      stopped = true;
      clearInterval(pacer);
      clearInterval(poller);
    },
    async stop() {
      stopped = true;
      clearInterval(pacer);
      await Promise.all(pending);
      const deadline = performance.now() + 120_000;
      while (inFlight.size > 0 && performance.now() < deadline) {
        await polling;
        await new Promise((done) => setTimeout(done, 50));
      }
      clearInterval(poller);
      await polling;
      if (inFlight.size > 0) throw new Error(`${inFlight.size} operations still unfinished two minutes after the driver stopped`);
      return { ...stats, errorSamples: [...stats.errorSamples] };
    },
  };
}
