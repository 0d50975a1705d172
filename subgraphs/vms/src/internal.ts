/**
 * Domain entry points for tests and tools in this repository (not a public API): acting as another
 * tenant before identity exists, and pruning events on demand.
 */
export { requestAction, requestCreate } from './domain/requestOperation.ts';
export { pruneEvents } from './domain/pruneEvents.ts';
