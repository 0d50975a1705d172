/** Process entry of the billing subgraph. */
import { runProcess } from '@novacron/subgraph-kit';
import { loadConfig } from './config.ts';
import { start } from './server.ts';

await runProcess('billing', (logger) => start(loadConfig(), logger));
