export { DateTime } from '@novacron/subgraph-kit';
