import { describe, expect, it } from 'vitest';
import type { FeedEntry } from '@novacron/events';
import { createLogger } from '@novacron/server-kit';
import { waitFor } from '@novacron/testing';
import { createStreamTail } from '../src/subscriptions/createStreamTail.ts';
import { createFeedFixture } from './support/feedFixture.ts';

const logger = createLogger('test', 'silent');

describe('stream tail', () => {
  it('starts at the head: a follower gets only entries written after it joined, in order, across pages', async () => {
    const feed = createFeedFixture('vms.vm');
    feed.append({ tenantId: 't', entityId: 'old' });
    const tail = createStreamTail({ stream: 'vm', name: 'vms.vm', fetchFeed: feed.fetch, pollIntervalMs: 60_000, pageSize: 2, logger });
    const received: FeedEntry[] = [];
    const { stop } = await tail.follow((entries) => received.push(...entries));
    for (const id of ['a', 'b', 'c', 'd', 'e']) feed.append({ tenantId: 't', entityId: id });
    tail.wake();
    await waitFor(() => received.length === 5);
    expect(received.map((entry) => entry.entityId)).toEqual(['a', 'b', 'c', 'd', 'e']);
    stop();
    tail.close();
  });

  it('reports each page it reads before handing it to the followers (the read stage lag metric)', async () => {
    const feed = createFeedFixture('vms.vm');
    const order: string[] = [];
    const tail = createStreamTail({
      stream: 'vm',
      name: 'vms.vm',
      fetchFeed: feed.fetch,
      pollIntervalMs: 60_000,
      logger,
      onRead: (entries) => order.push(`read ${entries.map((entry) => entry.entityId).join(',')}`),
    });
    const { stop } = await tail.follow((entries) => order.push(`follower ${entries.map((entry) => entry.entityId).join(',')}`));
    feed.append({ tenantId: 't', entityId: 'a' });
    feed.append({ tenantId: 't', entityId: 'b' });
    tail.wake();
    await waitFor(() => order.length === 2);
    expect(order).toEqual(['read a,b', 'follower a,b']);
    stop();
    tail.close();
  });

  it('reads again on the poll timer when no signal comes (a lost signal only delays)', async () => {
    const feed = createFeedFixture('vms.vm');
    const tail = createStreamTail({ stream: 'vm', name: 'vms.vm', fetchFeed: feed.fetch, pollIntervalMs: 20, logger });
    const received: FeedEntry[] = [];
    await tail.follow((entries) => received.push(...entries));
    feed.append({ tenantId: 't', entityId: 'x' });
    await waitFor(() => received.length === 1);
    tail.close();
  });

  it('reads again by itself while the feed holds committed events back behind an older transaction (their signal has already come)', async () => {
    const feed = createFeedFixture('vms.vm');
    let holding = false;
    let heldReads = 0;
    // While holding, the feed answers as a subgraph does when an older transaction is still in flight.
    const fetchFeed: typeof feed.fetch = async (read) => {
      if (holding && read.after !== null) {
        heldReads += 1;
        return { entries: [], endCursor: read.after, heldBack: true };
      }
      return feed.fetch(read);
    };
    const tail = createStreamTail({ stream: 'vm', name: 'vms.vm', fetchFeed, pollIntervalMs: 60_000, logger });
    const received: FeedEntry[] = [];
    await tail.follow((entries) => received.push(...entries));
    feed.append({ tenantId: 't', entityId: 'late' });
    holding = true;
    tail.wake(); // the one signal
    await waitFor(() => heldReads >= 3);
    holding = false;
    await waitFor(() => received.length === 1);
    expect(received.map((entry) => entry.entityId)).toEqual(['late']);
    tail.close();
  });

  it('keeps its position through a failed read and delivers everything once the feed answers again', async () => {
    const feed = createFeedFixture('vms.vm');
    const tail = createStreamTail({ stream: 'vm', name: 'vms.vm', fetchFeed: feed.fetch, pollIntervalMs: 60_000, logger });
    const received: FeedEntry[] = [];
    await tail.follow((entries) => received.push(...entries));
    feed.append({ tenantId: 't', entityId: 'before' });
    feed.fail(new Error('subgraph down'));
    tail.wake();
    await waitFor(() => feed.reads.length >= 2);
    feed.fail(null);
    feed.append({ tenantId: 't', entityId: 'after' });
    tail.wake();
    await waitFor(() => received.length === 2);
    expect(received.map((entry) => entry.entityId)).toEqual(['before', 'after']);
    tail.close();
  });
});
