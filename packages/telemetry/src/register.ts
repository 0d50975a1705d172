/**
 * Import this first in a process entry (`import '@novacron/telemetry/register';`): when tracing is
 * configured it enables the instrumentations before the process's other modules load (ES modules are
 * evaluated in import order), so graphql and pg are patched. `startTracing(service)` then starts the SDK.
 */
import { enableInstrumentations } from './startTracing.ts';

enableInstrumentations();
