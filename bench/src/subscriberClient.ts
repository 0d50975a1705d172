/**
 * A subscriber client process of the fan-out benchmark (forked by `subscriptionFanOut.ts`, talks to
 * it over IPC, see `subscriberMessages.ts`). Holds many graphql-ws connections with the `ws` package
 * and the bare `graphql-transport-ws` messages, one `vmEvents` subscription per connection, and
 * records receive time − `occurredAt` of every delivered event. Kept lean on purpose: it shares the
 * machine's cores with the gateway it measures.
 */
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import WebSocket from 'ws';
import type { FromSubscriberClient, SubscriberProgress, ToSubscriberClient } from './subscriberMessages.ts';

interface Connection {
  socket: WebSocket;
  vmId: string | null;
  acknowledged: boolean;
  /** Last version seen per VM (a filtered subscription sees one VM). */
  lastVersion: Map<string, number>;
  /** The socket error before acknowledgement, if any (for the failure samples). */
  error?: string;
}

interface NextMessage {
  type: string;
  id?: string;
  payload?: { data?: { vmEvents?: { version: number; occurredAt: string; vm: { id: string } } } | null; errors?: { message: string }[] } | { message: string }[];
}

const send = (message: FromSubscriberClient) => process.send?.(message);

const progress: SubscriberProgress = { type: 'progress', opened: 0, subscribed: 0, failed: 0, closedUnexpectedly: 0, recorded: 0 };
const connections: Connection[] = [];
let exiting = false;
let recordFrom = Number.POSITIVE_INFINITY;
let recordCpu = process.cpuUsage();
let recordWall = performance.now();
const occurredAtMs: number[] = [];
const latenciesMs: number[] = [];
const connectionIndexes: number[] = [];
let outsideWindow = 0;
let outOfOrder = 0;
let errorMessages = 0;
const errorSamples: string[] = [];
const closes: Record<string, number> = {};
// A receipt is timed when its 'message' callback runs: the loop's delay and GC pauses are part of it.
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
const gc = { count: 0, totalMs: 0, maxMs: 0, over10Ms: 0 };
const gcObserver = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gc.count += 1;
    gc.totalMs += entry.duration;
    gc.maxMs = Math.max(gc.maxMs, entry.duration);
    if (entry.duration > 10) gc.over10Ms += 1;
  }
});

function noteError(sample: string): void {
  errorMessages += 1;
  if (errorSamples.length < 5) errorSamples.push(sample.slice(0, 300));
}

function open(url: string, initMessage: string, subscribeMessage: (vmId: string | null) => string, index: number, vmId: string | null): void {
  const socket = new WebSocket(url, 'graphql-transport-ws', { perMessageDeflate: false });
  const connection: Connection = { socket, vmId, acknowledged: false, lastVersion: new Map() };
  connections[index] = connection;
  socket.on('open', () => {
    progress.opened += 1;
    socket.send(initMessage);
  });
  socket.on('message', (data: WebSocket.RawData) => {
    const receivedAt = Date.now();
    let message: NextMessage;
    try {
      message = JSON.parse(String(data)) as NextMessage;
    } catch {
      noteError(`undecodable message: ${String(data)}`);
      return;
    }
    if (message.type === 'next') {
      const payload = message.payload as Exclude<NextMessage['payload'], unknown[]> | undefined;
      const event = payload?.data?.vmEvents;
      if (payload?.errors?.length || !event) {
        noteError(`next without event: ${JSON.stringify(payload)}`);
        return;
      }
      const occurred = Date.parse(event.occurredAt);
      const previous = connection.lastVersion.get(event.vm.id);
      if (previous !== undefined && event.version <= previous) outOfOrder += 1;
      connection.lastVersion.set(event.vm.id, event.version);
      if (occurred < recordFrom) {
        outsideWindow += 1;
        return;
      }
      progress.recorded += 1;
      occurredAtMs.push(occurred);
      latenciesMs.push(receivedAt - occurred);
      connectionIndexes.push(index);
    } else if (message.type === 'connection_ack') {
      connection.acknowledged = true;
      socket.send(subscribeMessage(vmId));
      progress.subscribed += 1;
    } else if (message.type === 'error') {
      noteError(`error: ${JSON.stringify(message.payload)}`);
    } else if (message.type === 'complete') {
      noteError('the server completed the subscription');
    } else if (message.type === 'ping') {
      socket.send('{"type":"pong"}');
    }
  });
  socket.on('error', (error) => {
    if (!connection.acknowledged) {
      connection.error = error.message;
      noteError(`connection ${index}: ${error.message}`);
    }
  });
  socket.on('close', (code, reason) => {
    if (exiting) return;
    const key = `${code} ${String(reason)}`.trim();
    closes[key] = (closes[key] ?? 0) + 1;
    if (connection.acknowledged) progress.closedUnexpectedly += 1;
    else {
      progress.failed += 1;
      if ((progress.failureSamples ??= []).length < 5) progress.failureSamples.push(`connection ${index}: closed ${key || '(no code)'}${connection.error ? ` after ${connection.error}` : ''}`);
    }
  });
}

let reporter: NodeJS.Timeout | undefined;

function connectAll(message: Extract<ToSubscriberClient, { type: 'connect' }>): void {
  const subscribeMessage = (vmId: string | null) =>
    JSON.stringify({ id: '1', type: 'subscribe', payload: { query: message.query, variables: vmId ? { ids: [vmId] } : {} } });
  const initMessage = JSON.stringify({ type: 'connection_init', ...(message.authorization ? { payload: { authorization: message.authorization } } : {}) });
  const started = performance.now();
  let next = 0;
  const timer = setInterval(() => {
    const due = Math.min(message.vmIds.length, Math.floor(((performance.now() - started) / 1000) * message.connectPerSecond) + 1);
    for (; next < due; next += 1) open(message.url, initMessage, subscribeMessage, message.firstIndex + next, message.vmIds[next] ?? null);
    if (next >= message.vmIds.length) clearInterval(timer);
  }, 10);
  reporter ??= setInterval(() => send({ ...progress }), 1_000);
}

function report(toEpochMs: number): void {
  const cpu = process.cpuUsage(recordCpu);
  const delivered = new Int32Array(connections.length);
  const latencies: number[] = [];
  const occurred: number[] = [];
  for (let index = 0; index < latenciesMs.length; index += 1) {
    if (occurredAtMs[index]! >= toEpochMs) {
      outsideWindow += 1;
      continue;
    }
    latencies.push(latenciesMs[index]!);
    occurred.push(occurredAtMs[index]!);
    const connection = connectionIndexes[index]!;
    delivered[connection] = (delivered[connection] ?? 0) + 1;
  }
  send({
    type: 'report',
    latenciesMs: Float64Array.from(latencies),
    occurredAtMs: Float64Array.from(occurred),
    deliveredPerConnection: delivered,
    outsideWindow,
    outOfOrder,
    errorMessages,
    errorSamples,
    closes,
    progress: { ...progress },
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    wallSeconds: (performance.now() - recordWall) / 1000,
    rssMb: process.memoryUsage.rss() / 1024 / 1024,
    eventLoopDelayMs: { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
    gc: { ...gc },
  });
}

process.on('message', (message: ToSubscriberClient) => {
  switch (message.type) {
    case 'connect':
      connectAll(message);
      break;
    case 'record':
      recordFrom = message.fromEpochMs;
      recordCpu = process.cpuUsage();
      recordWall = performance.now();
      loopDelay.reset();
      loopDelay.enable();
      Object.assign(gc, { count: 0, totalMs: 0, maxMs: 0, over10Ms: 0 });
      gcObserver.observe({ entryTypes: ['gc'] });
      break;
    case 'report':
      report(message.toEpochMs);
      break;
    case 'exit':
      exiting = true;
      clearInterval(reporter);
      for (const connection of connections) connection?.socket.terminate();
      process.disconnect?.();
      setTimeout(() => process.exit(0), 100).unref();
      break;
  }
});
// The parent went away: do not linger holding sockets.
process.on('disconnect', () => {
  exiting = true;
  process.exit(0);
});
