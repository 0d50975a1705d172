/** Process entry of the gateway. */
import { runProcess } from '@novacron/server-kit';
import { loadConfig } from './config.ts';
import { start } from './server.ts';

await runProcess('gateway', (logger) => start(loadConfig(), logger));
