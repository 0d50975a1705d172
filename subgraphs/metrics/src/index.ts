/** Process entry of the metrics subgraph. */
import { runProcess } from '@novacron/subgraph-kit';
import { loadConfig } from './config.ts';
import { start } from './server.ts';

await runProcess('metrics', (logger) => start(loadConfig(), logger));
