/**
 * How long the gateway's keep-alive holds the event loop: one pass pinging every connection in a
 * single tick (the gateway before `startKeepAlive`) against a slice every 50 ms, as `startKeepAlive`
 * (gateway/src/subscriptions) does (the same loop written out here: the gateway exports no such
 * internals). A `ws` server and
 * `--sockets` client connections in this one process (the clients' automatic pongs come back to the
 * same loop, as the gateway's 10,000 pongs did); prints the longest event-loop delay seen while each
 * runs (perf_hooks.monitorEventLoopDelay) and the one-tick pass's own duration.
 *
 *   node bench/keepAliveBurst.ts [--sockets 5000] [--interval-ms 3000]
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { WebSocket, WebSocketServer } from 'ws';

const { values } = parseArgs({ options: { sockets: { type: 'string', default: '5000' }, 'interval-ms': { type: 'string', default: '3000' } } });
const socketCount = Number(values.sockets);
const intervalMs = Number(values['interval-ms']);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
await new Promise((done) => server.once('listening', done));
const { port } = server.address() as { port: number };
const clients: WebSocket[] = [];
for (let index = 0; index < socketCount; index += 1) {
  clients.push(new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false }));
  if (index % 200 === 199) await sleep(20);
}
while (server.clients.size < socketCount) await sleep(50);
await sleep(1_000);

const delay = monitorEventLoopDelay({ resolution: 1 });
const rounds = 3;

delay.enable();
const passMs: number[] = [];
for (let round = 0; round < rounds; round += 1) {
  const started = performance.now();
  for (const socket of server.clients) socket.ping();
  passMs.push(performance.now() - started);
  await sleep(intervalMs);
}
delay.disable();
console.log(`one tick, ${socketCount} sockets: pass ${passMs.map((ms) => ms.toFixed(0)).join(' / ')} ms; event-loop delay p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, max ${(delay.max / 1e6).toFixed(1)} ms`);

delay.reset();
delay.enable();
const perSlice = Math.ceil(socketCount / Math.floor(intervalMs / 50));
const sliced = setInterval(() => {
  let left = perSlice;
  for (const socket of server.clients) {
    if (left-- <= 0) break;
    socket.ping();
  }
}, 50);
await sleep(intervalMs * rounds);
clearInterval(sliced);
delay.disable();
console.log(`a slice every 50 ms (${perSlice} sockets), ${socketCount} sockets: event-loop delay p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, max ${(delay.max / 1e6).toFixed(1)} ms`);

for (const client of clients) client.terminate();
server.close();
process.exit(0);
