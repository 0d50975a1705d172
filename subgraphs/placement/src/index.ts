/** Process entry of the placement subgraph. */
import { runProcess } from '@novacron/subgraph-kit';
import { loadConfig } from './config.ts';
import { start } from './server.ts';

await runProcess('placement', (logger) => start(loadConfig(), logger));
