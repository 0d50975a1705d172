import { VMsDocument, VmEventsDocument, type VmFieldsFragment } from '@novacron/sdk';
import { useEffect, useRef, useState } from 'react';
import { useTransport } from './TransportContext.ts';

/** The fleet as the page holds it: every VM by id, in load order, with a counter that changes on each applied batch. */
export interface FleetState {
  vms: Map<string, VmFieldsFragment>;
  revision: number;
  loading: boolean;
  /** Live events applied so far. */
  eventsApplied: number;
  /**
   * The live stream: `connecting` until the socket is up, `live` while it is, `reconnecting` after it
   * dropped (the gateway closes a slow consumer with 1013; graphql-ws reconnects and `vmEvents`
   * resumes after the last cursor applied, replaying what was missed).
   */
  liveStatus: 'connecting' | 'live' | 'reconnecting';
  /** How many times the stream reconnected and resumed. */
  resumes: number;
  /** How many times the page fell too far behind (`RESYNC_REQUIRED`) and reloaded the fleet. */
  reloads: number;
  /** The cursor of the last event received: where a resumed stream continues. */
  lastCursor: string | null;
  error: unknown;
}

const pageSize = 500;

/**
 * Loads every VM page by page (rows show after the first page) and keeps them live with `vmEvents`
 * (resumable: the SDK resubscribes after its last cursor on reconnect). The subscription starts
 * before the first page, and each event applies only when its version is newer than the row's, so
 * an event racing a page load can neither be lost nor roll a VM back. Events are batched per
 * animation frame: 100 events a second cost a few renders, not a hundred.
 */
export function useFleet(): FleetState {
  const { client, subscriptions } = useTransport();
  const [state, setState] = useState<FleetState>({ vms: new Map(), revision: 0, loading: true, eventsApplied: 0, liveStatus: 'connecting', resumes: 0, reloads: 0, lastCursor: null, error: null });
  const vms = useRef(new Map<string, VmFieldsFragment>());
  const pending = useRef<{ type: string; vm: VmFieldsFragment; cursor: string }[]>([]);
  const frame = useRef<number | null>(null);
  // Versions of deleted VMs, so a page loaded before the deletion cannot bring a row back.
  const deleted = useRef(new Map<string, number>());

  useEffect(() => {
    let cancelled = false;
    const publish = (patch: Partial<FleetState> = {}) => {
      if (cancelled) return;
      setState((previous) => ({ ...previous, ...patch, vms: vms.current, revision: previous.revision + 1 }));
    };
    const flush = () => {
      frame.current = null;
      const batch = pending.current;
      pending.current = [];
      // A new Map per batch so React sees the change; 10,000 entries copy in about a millisecond.
      const next = new Map(vms.current);
      for (const { type, vm } of batch) {
        const current = next.get(vm.id);
        if ((current && current.version >= vm.version) || (deleted.current.get(vm.id) ?? -1) >= vm.version) continue;
        if (type === 'DELETED' || vm.status === 'DELETED') {
          next.delete(vm.id);
          deleted.current.set(vm.id, vm.version);
        } else next.set(vm.id, vm);
      }
      vms.current = next;
      const lastCursor = batch.at(-1)?.cursor ?? null;
      setState((previous) => ({ ...previous, vms: next, revision: previous.revision + 1, eventsApplied: previous.eventsApplied + batch.length, lastCursor: lastCursor ?? previous.lastCursor }));
    };
    // The socket's state, for the page's live indicator; a connection after a drop is a resume.
    let connectedBefore = false;
    const offConnected = subscriptions.client.on('connected', () => {
      if (cancelled) return;
      const resumed = connectedBefore;
      connectedBefore = true;
      setState((previous) => ({ ...previous, liveStatus: 'live', resumes: previous.resumes + (resumed ? 1 : 0) }));
    });
    const offClosed = subscriptions.client.on('closed', () => {
      if (!cancelled && connectedBefore) setState((previous) => ({ ...previous, liveStatus: 'reconnecting' }));
    });
    const unsubscribe = subscriptions.subscribeResumable(VmEventsDocument, {}, (data) => data.vmEvents.cursor, {
      next: (result) => {
        if (result.errors?.length) return publish({ error: { graphQLErrors: result.errors } });
        const event = result.data?.vmEvents;
        if (!event) return;
        pending.current.push({ type: event.type, vm: event.vm, cursor: event.cursor });
        frame.current ??= requestAnimationFrame(flush);
      },
      error: (error) => publish({ error }),
      // Too far behind to replay: the SDK follows the head again; the fleet is loaded afresh.
      resync: () => {
        if (cancelled) return;
        vms.current = new Map();
        deleted.current = new Map();
        setState((previous) => ({ ...previous, reloads: previous.reloads + 1 }));
        void load();
      },
    });
    // A reload supersedes a load still under way.
    let loads = 0;
    const load = async () => {
      const own = ++loads;
      let after = null as string | null;
      do {
        const result = await client.query(VMsDocument, { first: pageSize, after }, { requestPolicy: 'network-only' }).toPromise();
        if (cancelled || own !== loads) return;
        if (result.error || !result.data) return publish({ loading: false, error: result.error });
        const next = new Map(vms.current);
        for (const { node } of result.data.vms.edges) {
          const current = next.get(node.id);
          if ((current && current.version >= node.version) || (deleted.current.get(node.id) ?? -1) >= node.version) continue;
          next.set(node.id, node);
        }
        vms.current = next;
        after = result.data.vms.pageInfo.hasNextPage ? result.data.vms.pageInfo.endCursor : null;
        publish({ loading: after !== null });
      } while (after);
    };
    void load();
    return () => {
      cancelled = true;
      unsubscribe();
      offConnected();
      offClosed();
      if (frame.current !== null) cancelAnimationFrame(frame.current);
    };
  }, [client, subscriptions]);
  return state;
}
