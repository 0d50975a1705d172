/**
 * The subgraph of the event feed benchmark (`eventFeedServing.ts`), in its own process so its CPU is
 * its own: the kit's `startSubgraph` serving one kit-made stream, `feedbench.note`. Started with the
 * database URL and a keys folder; answers `{ url }` once listening and `{ token }` (a system token,
 * fresh: they live a minute) on each `token` message.
 */
import { drizzle } from 'drizzle-orm/postgres-js';
import { createOutbox, defineEventStream, startSubgraph, type RequestPrincipal } from '@novacron/subgraph-kit';
import { outboxOnlyTypeDefs, testSubgraphConfig } from '@novacron/subgraph-kit/testing';

const [databaseUrl, keysDir] = process.argv.slice(2);
if (!databaseUrl || !keysDir || !process.send) throw new Error('usage: forked with <databaseUrl> <keysDir>');
const send = process.send.bind(process);

const outbox = createOutbox('feedbench', [defineEventStream({ key: 'note', table: 'note_events' })]);

const running = await startSubgraph<{ db: ReturnType<typeof drizzle> }, RequestPrincipal>({
  config: testSubgraphConfig('feedbench', databaseUrl, keysDir),
  typeDefs: outboxOnlyTypeDefs,
  resolvers: { Query: { ping: () => 'pong' } },
  services: ({ sql }) => ({ db: drizzle(sql) }),
  context: (request) => request,
  outbox: { outbox, db: (services) => services.db, prune: false },
});
process.on('message', (message) => {
  if (message === 'token') void running.kit.security.signFor('feedbench')({ system: true, subject: 'bench/feed-reader' }).then((token) => send({ token }));
  if (message === 'stop') void running.stop().then(() => process.exit(0));
});
send({ url: running.url });
