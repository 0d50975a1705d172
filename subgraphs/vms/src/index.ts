/** Process entry of the vms subgraph. */
import { runProcess } from '@novacron/subgraph-kit';
import { loadConfig } from './config.ts';
import { start } from './server.ts';

await runProcess('vms', (logger) => start(loadConfig(), logger));
